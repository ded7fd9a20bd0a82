//! RBAC, tokens and reviews: Role, RoleBinding, ClusterRole,
//! ClusterRoleBinding, TokenRequest, SelfSubjectAccessReview,
//! SelfSubjectReview.

use super::*;

fn pod_reader_rules() -> Vec<pb_rbac::PolicyRule> {
    vec![pb_rbac::PolicyRule {
        verbs: vec!["get".into(), "list".into()],
        // The core group is the empty string: it must stay in the list.
        api_groups: vec![String::new()],
        resources: vec!["pods".into(), "pods/log".into()],
        resource_names: vec!["web".into()],
        non_resource_ur_ls: vec![],
    }]
}

#[test]
fn role_and_role_binding() {
    let role = pb_rbac::Role {
        metadata: meta("pod-reader", "dev"),
        rules: pod_reader_rules(),
    };
    assert_eq!(
        decoded::<rbac::Role>("rbac.authorization.k8s.io/v1", "Role", &role),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "pod-reader", "namespace": "dev"},
            "rules": [{
                "verbs": ["get", "list"], "apiGroups": [""],
                "resources": ["pods", "pods/log"], "resourceNames": ["web"],
            }],
        })
    );

    let binding = pb_rbac::RoleBinding {
        metadata: meta("read-pods", "dev"),
        subjects: vec![
            pb_rbac::Subject {
                kind: s("User"),
                api_group: s("rbac.authorization.k8s.io"),
                name: s("alice"),
                namespace: s(""),
            },
            pb_rbac::Subject {
                kind: s("ServiceAccount"),
                api_group: s(""),
                name: s("ci"),
                namespace: s("dev"),
            },
        ],
        role_ref: Some(pb_rbac::RoleRef {
            api_group: s("rbac.authorization.k8s.io"),
            kind: s("Role"),
            name: s("pod-reader"),
        }),
    };
    assert_eq!(
        decoded::<rbac::RoleBinding>("rbac.authorization.k8s.io/v1", "RoleBinding", &binding),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "read-pods", "namespace": "dev"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                {"kind": "ServiceAccount", "name": "ci", "namespace": "dev"},
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        })
    );
}

#[test]
fn cluster_role_with_aggregation_rule_and_cluster_role_binding() {
    let role = pb_rbac::ClusterRole {
        metadata: meta("monitoring", ""),
        rules: vec![pb_rbac::PolicyRule {
            verbs: vec!["get".into()],
            non_resource_ur_ls: vec!["/healthz".into(), "/metrics".into()],
            ..Default::default()
        }],
        aggregation_rule: Some(pb_rbac::AggregationRule {
            cluster_role_selectors: vec![pbmeta::LabelSelector {
                match_labels: string_map(&[("rbac.example.com/aggregate-to-monitoring", "true")]),
                match_expressions: vec![],
            }],
        }),
    };
    assert_eq!(
        decoded::<rbac::ClusterRole>("rbac.authorization.k8s.io/v1", "ClusterRole", &role),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "monitoring"},
            "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/metrics"]}],
            "aggregationRule": {"clusterRoleSelectors": [
                {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}},
            ]},
        })
    );

    let binding = pb_rbac::ClusterRoleBinding {
        metadata: meta("ops-admin", ""),
        subjects: vec![pb_rbac::Subject {
            kind: s("Group"),
            api_group: s("rbac.authorization.k8s.io"),
            name: s("ops"),
            namespace: s(""),
        }],
        role_ref: Some(pb_rbac::RoleRef {
            api_group: s("rbac.authorization.k8s.io"),
            kind: s("ClusterRole"),
            name: s("cluster-admin"),
        }),
    };
    assert_eq!(
        decoded::<rbac::ClusterRoleBinding>(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            &binding
        ),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ops-admin"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ops"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        })
    );
}

#[test]
fn token_request_as_kubectl_create_token_sends_it() {
    let request = pb_authn::TokenRequest {
        metadata: meta("ci", "dev"),
        spec: Some(pb_authn::TokenRequestSpec {
            audiences: vec!["https://kubernetes.default.svc".into()],
            expiration_seconds: Some(3600),
            bound_object_ref: Some(pb_authn::BoundObjectReference {
                kind: s("Pod"),
                api_version: s("v1"),
                name: s("web"),
                u_id: s("8c2d"),
            }),
        }),
        // The zero status, with its zero (empty) expirationTimestamp, which
        // k8s-openapi requires: it is left out rather than unreadable.
        status: Some(pb_authn::TokenRequestStatus {
            token: s(""),
            expiration_timestamp: Some(pbmeta::Time::default()),
        }),
    };
    assert_eq!(
        decoded::<authn::TokenRequest>("authentication.k8s.io/v1", "TokenRequest", &request),
        json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": {"name": "ci", "namespace": "dev"},
            "spec": {
                "audiences": ["https://kubernetes.default.svc"],
                "expirationSeconds": 3600,
                "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "8c2d"},
            },
        })
    );
    // A status that is set is kept.
    let issued = pb_authn::TokenRequest {
        metadata: meta("ci", "dev"),
        spec: Some(pb_authn::TokenRequestSpec {
            audiences: vec!["api".into()],
            ..Default::default()
        }),
        status: Some(pb_authn::TokenRequestStatus {
            token: s("abc"),
            expiration_timestamp: Some(pbmeta::Time {
                seconds: Some(1_767_225_600),
                nanos: Some(0),
            }),
        }),
    };
    let value = decoded::<authn::TokenRequest>("authentication.k8s.io/v1", "TokenRequest", &issued);
    assert_eq!(
        value["status"],
        json!({"token": "abc", "expirationTimestamp": "2026-01-01T00:00:00Z"})
    );
}

#[test]
fn self_subject_access_review_as_kubectl_auth_can_i_sends_it() {
    let review = pb_authz::SelfSubjectAccessReview {
        metadata: meta("", ""),
        spec: Some(pb_authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(pb_authz::ResourceAttributes {
                namespace: s("dev"),
                verb: s("create"),
                group: s("apps"),
                version: s(""),
                resource: s("deployments"),
                subresource: s(""),
                name: s(""),
                ..Default::default()
            }),
            non_resource_attributes: None,
        }),
        status: Some(pb_authz::SubjectAccessReviewStatus {
            allowed: Some(false),
            denied: Some(false),
            reason: s(""),
            evaluation_error: s(""),
        }),
    };
    assert_eq!(
        decoded::<authz::SelfSubjectAccessReview>(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            &review
        ),
        json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "metadata": {},
            "spec": {"resourceAttributes": {"namespace": "dev", "verb": "create", "group": "apps", "resource": "deployments"}},
            // `allowed` has no omitempty in Go.
            "status": {"allowed": false},
        })
    );
}

#[test]
fn self_subject_review_with_extra_values() {
    let review = pb_authn::SelfSubjectReview {
        metadata: meta("", ""),
        status: Some(pb_authn::SelfSubjectReviewStatus {
            user_info: Some(pb_authn::UserInfo {
                username: s("alice"),
                uid: s(""),
                groups: vec!["system:authenticated".into()],
                // ExtraValue is a Go []string: gogo wraps it in a message.
                extra: [(
                    "scopes".to_string(),
                    pb_authn::ExtraValue {
                        items: vec!["read".into(), "write".into()],
                    },
                )]
                .into_iter()
                .collect(),
            }),
        }),
    };
    assert_eq!(
        decoded::<authn::SelfSubjectReview>(
            "authentication.k8s.io/v1",
            "SelfSubjectReview",
            &review
        ),
        json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
            "metadata": {},
            "status": {"userInfo": {
                "username": "alice",
                "groups": ["system:authenticated"],
                "extra": {"scopes": ["read", "write"]},
            }},
        })
    );
    // What `kubectl auth whoami` sends: no status at all.
    let bare = pb_authn::SelfSubjectReview {
        metadata: meta("", ""),
        status: Some(pb_authn::SelfSubjectReviewStatus::default()),
    };
    assert_eq!(
        decoded::<authn::SelfSubjectReview>("authentication.k8s.io/v1", "SelfSubjectReview", &bare),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}, "status": {}})
    );
}
