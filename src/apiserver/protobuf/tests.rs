//! Bodies captured from the real kubectl 1.32 (`tests/fixtures/protobuf/`,
//! recorded by pointing `kubectl create ...` at a stub HTTP server) and
//! messages encoded with prost exactly as kubectl frames them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use serde_json::json;

use super::*;

mod captured;
mod encoded;
mod kinds;
use crate::api::{KubeObject, Object};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/protobuf/{name}.pb",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a body and parses it as the typed object podium stores.
pub(super) fn typed<T: KubeObject>(body: &[u8]) -> T {
    let value = decode(body).expect("decodes");
    let object = Object::from_json(T::OBJECT_KIND, value).expect("parses as the kind");
    T::from_object_owned(object).expect("right kind")
}

/// Frames a message as kubectl does: magic, then `runtime.Unknown` with
/// empty contentEncoding/contentType (gogo writes empty strings).
pub(super) fn frame(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.to_string()),
            kind: Some(kind.to_string()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

pub(super) fn string_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn kubectl_create_deployment_body_reads_as_its_dry_run_yaml() {
    let value = decode(&fixture("deployment_simple")).expect("decodes");
    // What `kubectl create deployment hello --image=... --dry-run=client -o json` prints.
    assert_eq!(
        value,
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "hello", "labels": {"app": "hello"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "hello"}},
                "template": {
                    "metadata": {"labels": {"app": "hello"}},
                    "spec": {"containers": [{"name": "echoserver", "image": "k8s.gcr.io/echoserver:1.4", "resources": {}}]},
                },
                "strategy": {},
            },
            "status": {},
        })
    );
    let deployment: Deployment = typed(&fixture("deployment_simple"));
    assert_eq!(deployment.metadata.name.as_deref(), Some("hello"));
}

#[test]
fn deployment_replicas_port_and_command_survive() {
    let deployment: Deployment = typed(&fixture("deployment_full"));
    let spec = deployment.spec.expect("spec");
    assert_eq!(spec.replicas, Some(3));
    let container = &spec.template.spec.expect("pod spec").containers[0];
    assert_eq!(container.image.as_deref(), Some("nginx:1.27"));
    assert_eq!(
        container.command.as_deref(),
        Some(
            [
                "/bin/sh".to_string(),
                "-c".to_string(),
                "echo hi".to_string()
            ]
            .as_slice()
        )
    );
    let ports = container.ports.as_deref().expect("ports");
    assert_eq!(ports[0].container_port, 8080);
    assert_eq!(ports[0].protocol, None);

    // An explicit zero is kept: replicas is a pointer in Go.
    let idle: Deployment = typed(&fixture("deployment_zero"));
    assert_eq!(idle.spec.expect("spec").replicas, Some(0));

    let duo: Deployment = typed(&fixture("deployment_two_images"));
    let containers = duo
        .spec
        .expect("spec")
        .template
        .spec
        .expect("pod spec")
        .containers;
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["nginx", "busybox"]);
}

#[test]
fn namespace_and_configmap() {
    let namespace: Namespace = typed(&fixture("namespace"));
    assert_eq!(namespace.metadata.name.as_deref(), Some("dev"));

    let config_map: ConfigMap = typed(&fixture("configmap"));
    let data = config_map.data.expect("data");
    assert_eq!(data["mode"], "dev");
    // An empty value is a value, not an omitted field.
    assert_eq!(data["empty"], "");
    assert_eq!(data["blob"], "\u{0}\u{1}\u{2}");
}

#[test]
fn secrets_keep_their_bytes_and_type() {
    let generic: Secret = typed(&fixture("secret_generic"));
    assert_eq!(generic.type_.as_deref(), Some("Opaque"));
    assert_eq!(generic.data.expect("data")["password"].0, b"s3cr3t");

    let registry: Secret = typed(&fixture("secret_docker"));
    assert_eq!(
        registry.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    let config = &registry.data.expect("data")[".dockerconfigjson"].0;
    let config: serde_json::Value = serde_json::from_slice(config).expect("docker config json");
    assert_eq!(config["auths"]["r.io"]["username"], "u");

    let tls: Secret = typed(&fixture("secret_tls"));
    assert_eq!(tls.type_.as_deref(), Some("kubernetes.io/tls"));
    let data = tls.data.expect("data");
    assert!(
        data["tls.crt"]
            .0
            .starts_with(b"-----BEGIN CERTIFICATE-----")
    );
    assert!(
        data["tls.key"]
            .0
            .starts_with(b"-----BEGIN PRIVATE KEY-----")
    );
}

#[test]
fn services_of_every_generator() {
    let cluster_ip: Service = typed(&fixture("service_clusterip"));
    let spec = cluster_ip.spec.expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    assert_eq!(spec.cluster_ip, None);
    let ports = spec.ports.expect("ports");
    assert_eq!(ports[0].name.as_deref(), Some("80-8080"));
    assert_eq!(ports[0].port, 80);
    assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
    assert_eq!(ports[0].target_port, Some(IntOrString::Int(8080)));
    assert_eq!(ports[0].node_port, None);
    assert_eq!(
        ports[1].target_port,
        Some(IntOrString::String("https".into()))
    );
    assert_eq!(spec.selector, Some(string_map(&[("app", "web")])));

    let headless: Service = typed(&fixture("service_headless"));
    assert_eq!(
        headless.spec.expect("spec").cluster_ip.as_deref(),
        Some("None")
    );

    let node_port: Service = typed(&fixture("service_nodeport"));
    let spec = node_port.spec.expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("NodePort"));
    assert_eq!(spec.ports.expect("ports")[0].node_port, Some(30080));

    let load_balancer: Service = typed(&fixture("service_loadbalancer"));
    assert_eq!(
        load_balancer.spec.expect("spec").type_.as_deref(),
        Some("LoadBalancer")
    );

    let external: Service = typed(&fixture("service_externalname"));
    let spec = external.spec.expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
    assert_eq!(spec.external_name.as_deref(), Some("db.example.com"));
}

#[test]
fn ingress_rules_tls_class_and_default_backend() {
    let ingress: Ingress = typed(&fixture("ingress"));
    assert_eq!(
        ingress.metadata.annotations,
        Some(string_map(&[("a", "b")]))
    );
    let spec = ingress.spec.expect("spec");
    assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
    let tls = spec.tls.expect("tls");
    assert_eq!(
        tls[0].hosts.as_deref(),
        Some(["foo.com".to_string()].as_slice())
    );
    assert_eq!(tls[0].secret_name.as_deref(), Some("my-cert"));
    let default = spec
        .default_backend
        .expect("default backend")
        .service
        .expect("service");
    assert_eq!(default.name, "defsvc");
    assert_eq!(default.port.expect("port").name.as_deref(), Some("http"));
    let rules = spec.rules.expect("rules");
    assert_eq!(rules[0].host.as_deref(), Some("foo.com"));
    let path = &rules[0].http.as_ref().expect("http").paths[0];
    assert_eq!(path.path.as_deref(), Some("/bar"));
    assert_eq!(path.path_type, "Prefix");
    let backend = path.backend.service.as_ref().expect("service");
    assert_eq!(backend.port.as_ref().and_then(|p| p.number), Some(8080));
    assert_eq!(rules[1].host, None);
    assert_eq!(
        rules[1].http.as_ref().expect("http").paths[0].path_type,
        "Exact"
    );
}

#[test]
fn kubectl_create_job_body_reads_as_its_dry_run_json() {
    // What `kubectl create job j --image=busybox --dry-run=client -o json` prints.
    assert_eq!(
        decode(&fixture("job")).expect("decodes"),
        json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {"template": {
                "metadata": {},
                "spec": {
                    "containers": [{"name": "j", "image": "busybox", "resources": {}}],
                    "restartPolicy": "Never",
                },
            }},
            "status": {},
        })
    );
}

#[test]
fn unsupported_kinds_and_bad_bodies_are_errors() {
    let csr = frame(
        "certificates.k8s.io/v1",
        "CertificateSigningRequest",
        vec![],
    );
    let error = decode(&csr).expect_err("CSRs are not served");
    assert!(
        matches!(error, ProtobufError::UnsupportedKind { ref kind, .. } if kind == "CertificateSigningRequest")
    );
    assert_eq!(
        error.to_string(),
        "protobuf bodies for CertificateSigningRequest (certificates.k8s.io/v1) are not supported by podium; send it as JSON (e.g. kubectl create -f file.yaml)"
    );
    // A served group with a kind that is not one of its messages.
    let list = frame("batch/v1", "JobList", vec![]);
    assert!(matches!(
        decode(&list),
        Err(ProtobufError::UnsupportedKind { .. })
    ));
    assert!(matches!(
        decode(br#"{"kind":"Pod"}"#),
        Err(ProtobufError::MissingMagic)
    ));
    let body = fixture("deployment_simple");
    for cut in [5, 20, 60, body.len() - 1] {
        assert!(decode(&body[..cut]).is_err(), "truncated at {cut}");
    }
    let garbage = frame("apps/v1", "Deployment", vec![0x0a, 0xff, 0xff, 0xff]);
    assert!(decode(&garbage).is_err());
}
