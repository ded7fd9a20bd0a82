//! `kubectl apply --server-side`: objects created and updated by the
//! server's merge, fields a manager stops applying removed, conflicts
//! between managers named as upstream names them, `--force-conflicts`,
//! custom resources, and server-side dry run.

use super::common::*;
use super::kinds::{CRONTAB, CRONTAB_CRD, crontabs_established};

fn config_map(data: &str, labels: &str) -> String {
    let labels = if labels.is_empty() {
        String::new()
    } else {
        format!("  labels: {{{labels}}}\n")
    };
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n{labels}data: {{{data}}}\n")
}

#[test]
fn server_side_apply_creates_updates_and_removes_what_the_manager_dropped() {
    let server = TestServer::start();
    let out = server.apply_stdin(
        &["apply", "--server-side", "-f", "-"],
        include_str!("../../samples/nginx.yaml"),
    );
    assert!(
        out.contains("deployment.apps/nginx-dep serverside-applied"),
        "{out}"
    );
    assert!(
        out.contains("service/nginx-service serverside-applied"),
        "{out}"
    );
    assert_eq!(
        server.ok(&[
            "get",
            "deploy",
            "nginx-dep",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "5"
    );
    let managers = server.ok(&[
        "get",
        "deploy",
        "nginx-dep",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}",
    ]);
    assert_eq!(managers, "kubectl/Apply");

    server.apply_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &config_map("one: \"1\", two: \"2\"", "team: a"),
    );
    // alice no longer applies `two` or the label: both go.
    server.apply_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &config_map("one: \"1\"", ""),
    );
    assert_eq!(
        server.ok(&[
            "get",
            "cm",
            "owned",
            "-o",
            "jsonpath={.data}|{.metadata.labels}"
        ]),
        r#"{"one":"1"}|"#
    );
}

#[test]
fn another_manager_conflicts_until_it_forces_and_dry_run_changes_nothing() {
    let server = TestServer::start();
    server.apply_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &config_map("one: \"1\", two: \"2\"", "team: a"),
    );
    let err = server.fails(
        &["apply", "--server-side", "--field-manager=bob", "-f", "-"],
        Some(&config_map("one: \"9\"", "team: a")),
    );
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"alice\": .data.one"),
        "{err}"
    );
    // The same value is co-owned, not a conflict; a server dry run stores nothing.
    let out = server.apply_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager=bob",
            "--dry-run=server",
            "--force-conflicts",
            "-f",
            "-",
        ],
        &config_map("one: \"9\"", "team: a"),
    );
    assert!(
        out.contains("configmap/owned serverside-applied (server dry run)"),
        "{out}"
    );
    assert_eq!(
        server.ok(&["get", "cm", "owned", "-o", "jsonpath={.data.one}"]),
        "1"
    );
    server.apply_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager=bob",
            "--force-conflicts",
            "-f",
            "-",
        ],
        &config_map("one: \"9\"", "team: a"),
    );
    assert_eq!(
        server.ok(&["get", "cm", "owned", "-o", "jsonpath={.data}"]),
        r#"{"one":"9","two":"2"}"#
    );
    let managers = server.ok(&[
        "get",
        "cm",
        "owned",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert_eq!(managers, "alice bob");
    // Without a manager the server refuses, as upstream.
    let (code, body) = server.raw(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/owned",
        "application/apply-patch+yaml",
        config_map("one: \"3\"", "").into_bytes(),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("fieldManager is required for apply requests"),
        "{body}"
    );
}

#[test]
fn custom_resources_and_their_definitions_apply_server_side() {
    let server = TestServer::start();
    let out = server.apply_stdin(&["apply", "--server-side", "-f", "-"], CRONTAB_CRD);
    assert!(
        out.contains("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com serverside-applied"),
        "{out}"
    );
    crontabs_established(&server);
    server.apply_stdin(&["apply", "--server-side", "-f", "-"], CRONTAB);
    assert_eq!(
        server.ok(&[
            "get",
            "ct",
            "my-new-cron-object",
            "-o",
            "jsonpath={.spec.image}"
        ]),
        "my-awesome-cron-image"
    );
    let without_image = CRONTAB.replace("  image: my-awesome-cron-image\n", "");
    server.apply_stdin(&["apply", "--server-side", "-f", "-"], &without_image);
    assert_eq!(
        server.ok(&["get", "ct", "my-new-cron-object", "-o", "jsonpath={.spec}"]),
        r#"{"cronSpec":"* * * * */5","replicas":2}"#
    );
}
