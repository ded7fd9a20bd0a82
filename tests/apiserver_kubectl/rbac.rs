//! ServiceAccount tokens and RBAC as kubectl users meet them: `kubectl
//! create token`, upstream's 403s, role bindings that grant, `--as`.

use super::common::*;

#[test]
fn a_service_account_token_is_authorized_by_rbac() {
    let server = TestServer::start();
    server.ok(&["create", "serviceaccount", "ci"]);
    let token = server.ok(&["create", "token", "ci"]).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let as_ci = |args: &[&str]| {
        let mut all = vec!["--token", token.as_str()];
        all.extend_from_slice(args);
        server.kubectl(&all)
    };
    let out = as_ci(&["auth", "whoami"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("system:serviceaccount:default:ci"), "{text}");
    assert!(text.contains("system:serviceaccounts:default"), "{text}");

    let denied = as_ci(&["get", "pods"]);
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains(
            "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:default:ci\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
        ),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let no = as_ci(&["auth", "can-i", "list", "pods"]);
    assert_eq!(String::from_utf8_lossy(&no.stdout).trim(), "no");

    server.ok(&[
        "create",
        "rolebinding",
        "ci-view",
        "--clusterrole=view",
        "--serviceaccount=default:ci",
    ]);
    let allowed = as_ci(&["get", "pods"]);
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    // view does not read secrets, nor anything in another namespace.
    assert!(!as_ci(&["get", "secrets"]).status.success());
    assert!(
        !as_ci(&["get", "pods", "-n", "kube-system"])
            .status
            .success()
    );
    let list = as_ci(&["auth", "can-i", "--list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("deployments.apps") && list.contains("[get list watch]"),
        "{list}"
    );

    // The administrator may act as someone else, and asks for them.
    assert_eq!(
        server
            .ok(&[
                "auth",
                "can-i",
                "get",
                "pods",
                "--as=system:serviceaccount:default:ci"
            ])
            .trim(),
        "yes"
    );
    let out = server.kubectl(&[
        "auth",
        "can-i",
        "delete",
        "pods",
        "--as=system:serviceaccount:default:ci",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no");
    // The account may not act as the administrator.
    let out = as_ci(&["get", "pods", "--as=podium-admin"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot impersonate resource \"users\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A deleted account's tokens stop working.
    server.ok(&["delete", "serviceaccount", "ci"]);
    let out = as_ci(&["get", "pods"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unauthorized"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_default_roles_are_there_and_token_lifetimes_are_checked() {
    let server = TestServer::start();
    let roles = server.ok(&["get", "clusterroles", "-o", "name"]);
    for role in ["cluster-admin", "admin", "edit", "view"] {
        assert!(
            roles.contains(&format!("clusterrole.rbac.authorization.k8s.io/{role}\n")),
            "{roles}"
        );
    }
    let classes = server.ok(&["get", "priorityclasses", "-o", "name"]);
    assert!(
        classes.contains("system-cluster-critical") && classes.contains("system-node-critical"),
        "{classes}"
    );
    server.ok(&["create", "serviceaccount", "short"]);
    let err = server.fails(&["create", "token", "short", "--duration=1m"], None);
    assert!(
        err.contains("may not specify a duration less than 10 minutes"),
        "{err}"
    );
}
