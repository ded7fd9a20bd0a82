//! The kinds beyond kubectl's first generators: each built with k8s-pb's
//! prost types the way gogo's marshaller fills them (empty strings and
//! zeros for unset non-pointer fields, empty messages for unset structs),
//! framed as kubectl frames it, decoded, and compared with the JSON
//! k8s-openapi reads and writes back unchanged for the same object.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::authentication::v1 as authn;
use k8s_openapi::api::authorization::v1 as authz;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::api::scheduling::v1 as scheduling;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_pb::api::apps::v1 as pb_apps;
use k8s_pb::api::authentication::v1 as pb_authn;
use k8s_pb::api::authorization::v1 as pb_authz;
use k8s_pb::api::autoscaling::v2 as pb_autoscaling;
use k8s_pb::api::batch::v1 as pb_batch;
use k8s_pb::api::core::v1 as pb;
use k8s_pb::api::policy::v1 as pb_policy;
use k8s_pb::api::rbac::v1 as pb_rbac;
use k8s_pb::api::scheduling::v1 as pb_scheduling;
use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as pb_apiextensions;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as pbmeta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{frame, string_map};
use crate::apiserver::protobuf::decode;

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// ObjectMeta as gogo writes it for a new object: every non-pointer string
/// and number, and the zero creationTimestamp (an empty message).
fn meta(name: &str, namespace: &str) -> Option<pbmeta::ObjectMeta> {
    Some(pbmeta::ObjectMeta {
        name: s(name),
        generate_name: s(""),
        namespace: s(namespace),
        self_link: s(""),
        uid: s(""),
        resource_version: s(""),
        generation: Some(0),
        creation_timestamp: Some(pbmeta::Time::default()),
        ..Default::default()
    })
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity { string: s(v) }))
        .collect()
}

fn pod_template(restart_policy: &str) -> Option<pb::PodTemplateSpec> {
    Some(pb::PodTemplateSpec {
        metadata: meta("", ""),
        spec: Some(pb::PodSpec {
            containers: vec![pb::Container {
                name: s("app"),
                image: s("busybox"),
                working_dir: s(""),
                resources: Some(pb::ResourceRequirements::default()),
                termination_message_path: s(""),
                image_pull_policy: s(""),
                stdin: Some(false),
                tty: Some(false),
                ..Default::default()
            }],
            restart_policy: s(restart_policy),
            dns_policy: s(""),
            service_account_name: s(""),
            host_network: Some(false),
            scheduler_name: s(""),
            ..Default::default()
        }),
    })
}

/// The pod template `pod_template` decodes to.
fn pod_template_json(restart_policy: &str) -> Value {
    json!({
        "metadata": {},
        "spec": {
            "containers": [{"name": "app", "image": "busybox", "resources": {}}],
            "restartPolicy": restart_policy,
        },
    })
}

/// Decodes `message` framed as kubectl sends it, checks that k8s-openapi
/// reads it as `T` and writes back exactly the same JSON, and returns it.
fn decoded<T: DeserializeOwned + Serialize>(
    api_version: &str,
    kind: &str,
    message: &impl Message,
) -> Value {
    let value = decode(&frame(api_version, kind, message.encode_to_vec())).expect("decodes");
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("k8s-openapi reads {kind}: {e}\n{value:#}"));
    let mut written = serde_json::to_value(&typed).expect("serializes");
    for_nested_objects(&mut written, &mut |object| {
        // k8s-openapi gives embedded resources (a StatefulSet's claim
        // templates) an apiVersion and kind; Go omits the empty TypeMeta.
        object.remove("apiVersion");
        object.remove("kind");
    });
    let mut expected = value.clone();
    for_nested_objects(&mut expected, &mut |object| {
        object.remove("apiVersion");
        object.remove("kind");
    });
    assert_eq!(
        written, expected,
        "k8s-openapi writes {kind} back as decoded"
    );
    value
}

/// Calls `f` on every object below the top level that looks like an
/// embedded resource (has `metadata`).
fn for_nested_objects(value: &mut Value, f: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
    fn walk(value: &mut Value, top: bool, f: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
        match value {
            Value::Object(object) => {
                if !top && object.contains_key("metadata") && object.contains_key("spec") {
                    f(object);
                }
                for child in object.values_mut() {
                    walk(child, false, f);
                }
            }
            Value::Array(items) => {
                for child in items {
                    walk(child, false, f);
                }
            }
            _ => {}
        }
    }
    walk(value, true, f);
}

mod access;
mod extensions;
mod workloads;
