//! `kubectl explain` over the OpenAPI v3 documents: built-in kinds, nested
//! fields and a CustomResourceDefinition's kind, as a user reads them.

use super::common::*;
use super::kinds::{CRONTAB_CRD, crontabs_established};

#[test]
fn explain_describes_a_built_in_kind_and_its_fields() {
    let server = TestServer::start();
    let out = server.ok(&["explain", "deployment"]);
    assert!(out.contains("KIND:       Deployment"), "{out}");
    assert!(out.contains("VERSION:    v1"), "{out}");
    assert!(
        out.contains("Deployment enables declarative updates for Pods and ReplicaSets."),
        "{out}"
    );
    assert!(out.contains("metadata\t<ObjectMeta>"), "{out}");
    assert!(out.contains("spec\t<DeploymentSpec>"), "{out}");
    // Upstream's schema does not require metadata.
    assert!(!out.contains("-required-"), "{out}");

    let out = server.ok(&["explain", "deployment.spec"]);
    assert!(out.contains("FIELD: spec <DeploymentSpec>"), "{out}");
    assert!(
        out.contains("selector\t<LabelSelector> -required-"),
        "{out}"
    );
    assert!(out.contains("replicas\t<integer>"), "{out}");

    let out = server.ok(&["explain", "sts"]);
    assert!(out.contains("KIND:       StatefulSet"), "{out}");
    let out = server.ok(&["explain", "cronjob.spec"]);
    assert!(out.contains("schedule\t<string> -required-"), "{out}");
    assert!(
        out.contains("jobTemplate\t<JobTemplateSpec> -required-"),
        "{out}"
    );
}

#[test]
fn explain_walks_nested_fields_and_recurses() {
    let server = TestServer::start();
    let out = server.ok(&[
        "explain",
        "deployment.spec.template.spec.containers",
        "--recursive",
    ]);
    assert!(out.contains("FIELD: containers <[]Container>"), "{out}");
    assert!(out.contains("  env\t<[]EnvVar>"), "{out}");
    assert!(out.contains("    name\t<string> -required-"), "{out}");
    assert!(out.contains("  image\t<string>"), "{out}");
    let out = server.ok(&["explain", "pods.spec.volumes"]);
    assert!(out.contains("FIELD: volumes <[]Volume>"), "{out}");
    assert!(out.contains("configMap\t<ConfigMapVolumeSource>"), "{out}");
}

#[test]
fn explain_describes_a_custom_kind_from_its_schema() {
    let server = TestServer::start();
    let crd = CRONTAB_CRD.replace(
        "                cronSpec:\n                  type: string",
        "                cronSpec:\n                  description: When to run, in cron format.\n                  type: string",
    );
    server.apply_stdin(&["apply", "-f", "-"], &crd);
    crontabs_established(&server);
    let out = server.ok(&["explain", "crontab.spec"]);
    assert!(out.contains("GROUP:      stable.example.com"), "{out}");
    assert!(out.contains("KIND:       CronTab"), "{out}");
    assert!(out.contains("cronSpec\t<string>"), "{out}");
    assert!(out.contains("When to run, in cron format."), "{out}");
    assert!(out.contains("replicas\t<integer>"), "{out}");
    let out = server.ok(&["explain", "ct"]);
    assert!(out.contains("metadata\t<ObjectMeta>"), "{out}");
}

#[test]
fn apply_patches_lists_by_their_merge_keys() {
    // kubectl computes its patch from the v3 schema's patch strategies:
    // a container added by `kubectl set env` survives a re-apply.
    let server = TestServer::start();
    let manifest = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: small
spec:
  selector: {matchLabels: {app: small}}
  template:
    metadata: {labels: {app: small}}
    spec:
      containers:
      - name: c
        image: nginx
        env: [{name: A, value: "1"}]
"#;
    server.apply_stdin(&["apply", "-f", "-"], manifest);
    server.ok(&["set", "env", "deployment/small", "B=2"]);
    server.apply_stdin(&["apply", "-f", "-"], &manifest.replace("\"1\"", "\"3\""));
    let env = server.ok(&[
        "get",
        "deployment",
        "small",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].env}",
    ]);
    assert!(env.contains(r#"{"name":"A","value":"3"}"#), "{env}");
    assert!(env.contains(r#"{"name":"B","value":"2"}"#), "{env}");
}
