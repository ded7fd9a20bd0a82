//! Messages encoded with prost as kubectl's gogo marshaller writes them,
//! including the empty strings and zeros it writes for unset fields.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_pb::api::core::v1 as pb;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as pbmeta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString as PbIntOrString;
use prost::Message as _;
use serde_json::json;

use super::{frame, string_map, typed};
use crate::api::{Kind, KubeObject, Object};
use crate::apiserver::protobuf::{MAGIC, decode};

fn pb_string(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn pb_container() -> pb::Container {
    let quantities = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Quantity {
                        string: pb_string(v),
                    },
                )
            })
            .collect()
    };
    pb::Container {
        name: pb_string("app"),
        image: pb_string("nginx:1.27"),
        command: vec!["nginx".into()],
        args: vec!["-g".into(), "daemon off;".into()],
        // gogo writes unset non-pointer strings as "": they must vanish.
        working_dir: Some(String::new()),
        image_pull_policy: pb_string("IfNotPresent"),
        ports: vec![pb::ContainerPort {
            name: pb_string("http"),
            container_port: Some(80),
            host_port: Some(0),
            protocol: pb_string("TCP"),
            host_ip: Some(String::new()),
        }],
        env: vec![
            pb::EnvVar {
                name: pb_string("MODE"),
                value: pb_string("prod"),
                value_from: None,
            },
            pb::EnvVar {
                name: pb_string("PASSWORD"),
                value: Some(String::new()),
                value_from: Some(pb::EnvVarSource {
                    secret_key_ref: Some(pb::SecretKeySelector {
                        local_object_reference: Some(pb::LocalObjectReference {
                            name: pb_string("db"),
                        }),
                        key: pb_string("password"),
                        optional: Some(false),
                    }),
                    ..Default::default()
                }),
            },
            pb::EnvVar {
                name: pb_string("POD_IP"),
                value: None,
                value_from: Some(pb::EnvVarSource {
                    field_ref: Some(pb::ObjectFieldSelector {
                        api_version: pb_string("v1"),
                        field_path: pb_string("status.podIP"),
                    }),
                    ..Default::default()
                }),
            },
        ],
        resources: Some(pb::ResourceRequirements {
            limits: quantities(&[("memory", "128Mi")]),
            requests: quantities(&[("cpu", "250m"), ("memory", "64Mi")]),
            claims: vec![],
        }),
        readiness_probe: Some(pb::Probe {
            handler: Some(pb::ProbeHandler {
                http_get: Some(pb::HttpGetAction {
                    path: pb_string("/healthz"),
                    port: Some(PbIntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: pb_string("http"),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            initial_delay_seconds: Some(5),
            timeout_seconds: Some(0),
            ..Default::default()
        }),
        volume_mounts: vec![pb::VolumeMount {
            name: pb_string("cache"),
            mount_path: pb_string("/cache"),
            read_only: Some(true),
            ..Default::default()
        }],
        security_context: Some(pb::SecurityContext {
            run_as_user: Some(0),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn pod_spec_maps_every_field_kubectl_fills() {
    let pod = pb::Pod {
        metadata: Some(pbmeta::ObjectMeta {
            name: pb_string("web"),
            generate_name: Some(String::new()),
            namespace: pb_string("shop"),
            labels: string_map(&[("app", "web")]),
            annotations: string_map(&[("note", "x")]),
            owner_references: vec![pbmeta::OwnerReference {
                api_version: pb_string("apps/v1"),
                kind: pb_string("ReplicaSet"),
                name: pb_string("web-abc"),
                uid: pb_string("1234"),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }],
            finalizers: vec!["example.com/hold".into()],
            // Go's zero Time is written as {0, 0} and means "unset".
            creation_timestamp: Some(pbmeta::Time {
                seconds: Some(0),
                nanos: Some(0),
            }),
            deletion_timestamp: Some(pbmeta::Time {
                seconds: Some(1_767_225_600),
                nanos: Some(0),
            }),
            ..Default::default()
        }),
        spec: Some(pb::PodSpec {
            containers: vec![pb_container()],
            volumes: vec![
                pb::Volume {
                    name: pb_string("cache"),
                    volume_source: Some(pb::VolumeSource {
                        empty_dir: Some(pb::EmptyDirVolumeSource::default()),
                        ..Default::default()
                    }),
                },
                pb::Volume {
                    name: pb_string("config"),
                    volume_source: Some(pb::VolumeSource {
                        config_map: Some(pb::ConfigMapVolumeSource {
                            local_object_reference: Some(pb::LocalObjectReference {
                                name: pb_string("app-config"),
                            }),
                            default_mode: Some(420),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                },
            ],
            restart_policy: pb_string("Always"),
            termination_grace_period_seconds: Some(0),
            hostname: Some(String::new()),
            host_network: Some(false),
            node_selector: string_map(&[("disk", "ssd")]),
            ..Default::default()
        }),
        status: Some(pb::PodStatus::default()),
    };
    let value = decode(&frame("v1", "Pod", pod.encode_to_vec())).expect("decodes");
    let spec = &value["spec"];
    assert_eq!(spec.get("hostname"), None);
    assert_eq!(spec.get("hostNetwork"), None);
    assert_eq!(spec["terminationGracePeriodSeconds"], 0);
    assert_eq!(spec["volumes"][0], json!({"name": "cache", "emptyDir": {}}));
    assert_eq!(
        spec["volumes"][1],
        json!({"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}})
    );
    assert_eq!(value["metadata"].get("creationTimestamp"), None);
    assert_eq!(
        value["metadata"]["deletionTimestamp"],
        "2026-01-01T00:00:00Z"
    );
    let container = &spec["containers"][0];
    assert_eq!(container.get("workingDir"), None);
    assert_eq!(
        container["ports"][0],
        json!({"name": "http", "containerPort": 80, "protocol": "TCP"})
    );
    assert_eq!(
        container["env"][1],
        json!({"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password", "optional": false}}})
    );
    assert_eq!(
        container["readinessProbe"],
        json!({"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 5})
    );
    assert_eq!(container["securityContext"], json!({"runAsUser": 0}));

    let object = Object::from_json(Kind::Pod, value).expect("parses");
    let pod = Pod::from_object_owned(object).expect("pod");
    assert_eq!(pod.metadata.namespace.as_deref(), Some("shop"));
    assert_eq!(
        pod.metadata.finalizers.as_deref(),
        Some(["example.com/hold".to_string()].as_slice())
    );
    let owner = &pod.metadata.owner_references.as_deref().expect("owners")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("ReplicaSet", Some(true))
    );
    let spec = pod.spec.expect("spec");
    assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
    assert_eq!(spec.node_selector, Some(string_map(&[("disk", "ssd")])));
    let container = &spec.containers[0];
    assert_eq!(container.args.as_deref().map(<[String]>::len), Some(2));
    assert_eq!(container.image_pull_policy.as_deref(), Some("IfNotPresent"));
    let resources = container.resources.as_ref().expect("resources");
    assert_eq!(
        resources.requests.as_ref().expect("requests")["cpu"].0,
        "250m"
    );
    assert_eq!(
        resources.limits.as_ref().expect("limits")["memory"].0,
        "128Mi"
    );
    let env = container.env.as_deref().expect("env");
    assert_eq!(env[0].value.as_deref(), Some("prod"));
    assert_eq!(env[1].value, None);
    let field_ref = env[2]
        .value_from
        .as_ref()
        .and_then(|v| v.field_ref.as_ref());
    assert_eq!(
        field_ref.map(|f| f.field_path.as_str()),
        Some("status.podIP")
    );
    let probe = container.readiness_probe.as_ref().expect("probe");
    assert_eq!(probe.timeout_seconds, None);
    let http_get = probe.http_get.as_ref().expect("httpGet");
    assert_eq!(http_get.port, IntOrString::String("http".into()));
    assert_eq!(
        container.volume_mounts.as_deref().expect("mounts")[0].read_only,
        Some(true)
    );
}

#[test]
fn replica_set_and_int_or_string_zero() {
    let rs = k8s_pb::api::apps::v1::ReplicaSet {
        metadata: Some(pbmeta::ObjectMeta {
            name: pb_string("web-abc"),
            ..Default::default()
        }),
        spec: Some(k8s_pb::api::apps::v1::ReplicaSetSpec {
            replicas: Some(2),
            min_ready_seconds: Some(0),
            selector: Some(pbmeta::LabelSelector {
                match_labels: string_map(&[("app", "web")]),
                match_expressions: vec![pbmeta::LabelSelectorRequirement {
                    key: pb_string("tier"),
                    operator: pb_string("In"),
                    values: vec!["front".into(), "back".into()],
                }],
            }),
            template: Some(pb::PodTemplateSpec {
                metadata: Some(pbmeta::ObjectMeta {
                    labels: string_map(&[("app", "web")]),
                    ..Default::default()
                }),
                spec: Some(pb::PodSpec {
                    containers: vec![pb::Container {
                        name: pb_string("app"),
                        image: pb_string("nginx"),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
        }),
        status: None,
    };
    let rs: ReplicaSet = typed(&frame("apps/v1", "ReplicaSet", rs.encode_to_vec()));
    let spec = rs.spec.expect("spec");
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.min_ready_seconds, None);
    let expressions = spec.selector.match_expressions.expect("expressions");
    assert_eq!(
        expressions[0].values.as_deref().map(<[String]>::len),
        Some(2)
    );

    // maxUnavailable: 0 is an IntOrString and must not be dropped as a zero.
    let deployment = k8s_pb::api::apps::v1::Deployment {
        metadata: Some(pbmeta::ObjectMeta {
            name: pb_string("d"),
            ..Default::default()
        }),
        spec: Some(k8s_pb::api::apps::v1::DeploymentSpec {
            strategy: Some(k8s_pb::api::apps::v1::DeploymentStrategy {
                r#type: pb_string("RollingUpdate"),
                rolling_update: Some(k8s_pb::api::apps::v1::RollingUpdateDeployment {
                    max_unavailable: Some(PbIntOrString {
                        r#type: Some(0),
                        int_val: Some(0),
                        str_val: Some(String::new()),
                    }),
                    max_surge: Some(PbIntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: pb_string("25%"),
                    }),
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let value =
        decode(&frame("apps/v1", "Deployment", deployment.encode_to_vec())).expect("decodes");
    assert_eq!(
        value["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}})
    );
}

#[test]
fn envelope_with_json_content_is_parsed_directly() {
    let mut body = MAGIC.to_vec();
    body.extend(
        Unknown {
            type_meta: Some(TypeMeta {
                api_version: pb_string("v1"),
                kind: pb_string("ConfigMap"),
            }),
            raw: Some(
                br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}"#.to_vec(),
            ),
            content_encoding: None,
            content_type: pb_string("application/json"),
        }
        .encode_to_vec(),
    );
    let config_map: ConfigMap = typed(&body);
    assert_eq!(config_map.metadata.name.as_deref(), Some("j"));
}
