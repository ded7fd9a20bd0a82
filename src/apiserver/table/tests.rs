//! Rows compared with what `kubectl get` prints for realistic objects.

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::{IncludeObject, human_duration, table_with};
use crate::api::{Kind, Object};

mod pod;

use pod::running_pod;

const NOW: &str = "2026-01-01T12:00:00Z";

pub(super) fn now() -> Timestamp {
    NOW.parse().expect("valid timestamp")
}

/// `NOW` minus `seconds`, as RFC 3339.
pub(super) fn ago(seconds: i64) -> String {
    let t = Timestamp::from_second(now().as_second() - seconds).expect("in range");
    t.to_string()
}

pub(super) fn object(kind: Kind, value: Value) -> Arc<Object> {
    Arc::new(Object::from_json(kind, value).expect("object parses"))
}

pub(super) fn render(kind: Kind, value: Value) -> Value {
    table_with(
        kind,
        &[object(kind, value)],
        42,
        IncludeObject::Metadata,
        now(),
    )
}

/// The cells of the only row, as strings (numbers printed plainly).
pub(super) fn cells(kind: Kind, value: Value) -> Vec<String> {
    let table = render(kind, value);
    table["rows"][0]["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub(super) fn default_cells(kind: Kind, value: Value) -> Vec<String> {
    let table = render(kind, value.clone());
    let priorities: Vec<u64> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["priority"].as_u64().expect("priority"))
        .collect();
    cells(kind, value)
        .into_iter()
        .zip(priorities)
        .filter(|(_, p)| *p == 0)
        .map(|(c, _)| c)
        .collect()
}

#[test]
fn replica_set_row() {
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "hello-world-67999bd854", "namespace": "default", "creationTimestamp": ago(9 * 60 + 4)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "hello-world", "pod-template-hash": "67999bd854"}},
            "template": {"metadata": {"labels": {"app": "hello-world"}},
                "spec": {"containers": [{"name": "echoserver", "image": "k8s.gcr.io/echoserver:1.4"}]}}},
        "status": {"replicas": 3, "readyReplicas": 2},
    });
    assert_eq!(
        cells(Kind::ReplicaSet, rs),
        [
            "hello-world-67999bd854",
            "3",
            "3",
            "2",
            "9m4s",
            "echoserver",
            "k8s.gcr.io/echoserver:1.4",
            "app=hello-world,pod-template-hash=67999bd854"
        ]
    );
}

#[test]
fn deployment_row() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "hello-world", "namespace": "default", "creationTimestamp": ago(3 * 3600 + 5 * 60 + 10)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "hello-world"}},
            "template": {"metadata": {"labels": {"app": "hello-world"}},
                "spec": {"containers": [
                    {"name": "echoserver", "image": "k8s.gcr.io/echoserver:1.4"},
                    {"name": "sidecar", "image": "busybox"}]}}},
        "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2},
    });
    assert_eq!(
        cells(Kind::Deployment, deployment),
        [
            "hello-world",
            "2/3",
            "3",
            "2",
            "3h5m",
            "echoserver,sidecar",
            "k8s.gcr.io/echoserver:1.4,busybox",
            "app=hello-world"
        ]
    );
}

fn service(spec: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "hello-world", "namespace": "default", "creationTimestamp": ago(5 * 86400)},
        "spec": spec,
    })
}

#[test]
fn service_rows_per_type() {
    let cluster_ip = service(json!({
        "type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
        "ports": [{"port": 443, "protocol": "TCP", "targetPort": 6443}],
    }));
    assert_eq!(
        cells(Kind::Service, cluster_ip),
        [
            "hello-world",
            "ClusterIP",
            "10.96.0.1",
            "<none>",
            "443/TCP",
            "5d",
            "<none>"
        ]
    );

    let node_port = service(json!({
        "type": "NodePort", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
        "selector": {"app": "hello-world"},
        "ports": [{"port": 8080, "nodePort": 30123, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
    }));
    assert_eq!(
        cells(Kind::Service, node_port),
        [
            "hello-world",
            "NodePort",
            "10.96.12.7",
            "<none>",
            "8080:30123/TCP,53/UDP",
            "5d",
            "app=hello-world"
        ]
    );

    let load_balancer = service(json!({
        "type": "LoadBalancer", "clusterIPs": ["10.96.3.3"],
        "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}],
    }));
    assert_eq!(cells(Kind::Service, load_balancer)[3], "<pending>");

    let external = service(json!({"type": "ExternalName", "externalName": "db.example.com"}));
    assert_eq!(
        cells(Kind::Service, external)[1..5],
        ["ExternalName", "<none>", "db.example.com", "<none>"]
    );

    let headless =
        service(json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}));
    assert_eq!(cells(Kind::Service, headless)[2], "None");
}

#[test]
fn endpoints_rows() {
    let endpoints = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "hello-world", "creationTimestamp": ago(60)},
        "subsets": [{
            "addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.0.6"}, {"ip": "10.244.0.7"},
                {"ip": "10.244.0.8"}, {"ip": "10.244.0.9"}, {"ip": "10.244.0.10"}],
            "ports": [{"port": 80, "protocol": "TCP"}],
        }],
    });
    assert_eq!(
        cells(Kind::Endpoints, endpoints),
        [
            "hello-world",
            "10.244.0.5:80,10.244.0.6:80,10.244.0.7:80 + 3 more...",
            "60s"
        ]
    );
    let two = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "web", "creationTimestamp": ago(60)},
        "subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.0.6"}], "ports": [{"port": 80}]}],
    });
    assert_eq!(
        cells(Kind::Endpoints, two)[1],
        "10.244.0.5:80,10.244.0.6:80"
    );
    let empty = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "none"}});
    assert_eq!(
        cells(Kind::Endpoints, empty),
        ["none", "<none>", "<unknown>"]
    );
}

#[test]
fn ingress_rows() {
    let ingress = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "hello", "creationTimestamp": ago(600)},
        "spec": {"rules": [{"host": "hello.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "hello-world", "port": {"number": 8080}}}}]}}]},
    });
    assert_eq!(
        cells(Kind::Ingress, ingress),
        ["hello", "<none>", "hello.example.com", "", "80", "10m"]
    );
    let tls = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "secure", "creationTimestamp": ago(600)},
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
            "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}},
    });
    assert_eq!(
        cells(Kind::Ingress, tls),
        ["secure", "nginx", "*", "192.168.49.2", "80, 443", "10m"]
    );
}

#[test]
fn namespace_configmap_secret_rows() {
    let namespace = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "kube-system", "creationTimestamp": ago(2 * 365 * 86400)},
        "status": {"phase": "Active"},
    });
    assert_eq!(
        cells(Kind::Namespace, namespace),
        ["kube-system", "Active", "2y"]
    );

    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ago(86400)},
        "data": {"ca.crt": "..."}, "binaryData": {"blob": "AAE="},
    });
    assert_eq!(
        cells(Kind::ConfigMap, config_map),
        ["kube-root-ca.crt", "2", "24h"]
    );

    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db-pass", "creationTimestamp": ago(30)},
        "type": "Opaque", "data": {"password": "czNjcjN0", "user": "YWRtaW4="},
    });
    assert_eq!(
        cells(Kind::Secret, secret),
        ["db-pass", "Opaque", "2", "30s"]
    );
}

#[test]
fn node_row() {
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "podium-node", "creationTimestamp": ago(3600),
            "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "podium-node"}},
        "spec": {"unschedulable": true},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "172.17.0.1"}, {"type": "Hostname", "address": "podium-node"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Ubuntu 24.04 LTS", "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "docker://27.0.3", "architecture": "amd64", "bootID": "",
                "kubeProxyVersion": "", "machineID": "", "operatingSystem": "linux", "systemUUID": ""},
        },
    });
    assert_eq!(
        cells(Kind::Node, node),
        [
            "podium-node",
            "Ready,SchedulingDisabled",
            "control-plane",
            "60m",
            "v1.33.0",
            "172.17.0.1",
            "<none>",
            "Ubuntu 24.04 LTS",
            "6.8.0",
            "docker://27.0.3"
        ]
    );
}

#[test]
fn event_row() {
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "nginx-abc.17f1", "namespace": "default", "creationTimestamp": ago(600)},
        "involvedObject": {"kind": "Pod", "name": "nginx-abc", "namespace": "default", "fieldPath": "spec.containers{nginx}"},
        "reason": "Pulled", "message": "Container image \"nginx\" already present on machine\n",
        "source": {"component": "kubelet", "host": "podium-node"},
        "firstTimestamp": ago(600), "lastTimestamp": ago(300), "count": 2, "type": "Normal",
    });
    assert_eq!(
        cells(Kind::Event, event.clone()),
        [
            "5m",
            "Normal",
            "Pulled",
            "pod/nginx-abc",
            "spec.containers{nginx}",
            "kubelet, podium-node",
            "Container image \"nginx\" already present on machine",
            "10m",
            "2",
            "nginx-abc.17f1"
        ]
    );
    assert_eq!(
        default_cells(Kind::Event, event),
        [
            "5m",
            "Normal",
            "Pulled",
            "pod/nginx-abc",
            "Container image \"nginx\" already present on machine"
        ]
    );
    let unset = json!({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "x"},
        "involvedObject": {"kind": "Node"}, "reason": "Starting",
    });
    assert_eq!(
        cells(Kind::Event, unset)[..4],
        ["<unknown>", "", "Starting", "node"]
    );
}

#[test]
fn table_carries_columns_and_partial_object_metadata() {
    let table = render(Kind::Pod, running_pod());
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(table["metadata"]["resourceVersion"], "42");
    let names: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(table["columnDefinitions"][0]["format"], "name");
    let row_object = &table["rows"][0]["object"];
    assert_eq!(row_object["kind"], "PartialObjectMetadata");
    assert_eq!(row_object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(row_object["metadata"]["labels"]["app"], "hello-world");
    assert_eq!(row_object["metadata"]["namespace"], "default");
}

#[test]
fn every_kind_has_one_cell_per_column() {
    let samples = [
        (Kind::Pod, running_pod()),
        (Kind::Namespace, json!({"metadata": {"name": "a"}})),
        (Kind::Node, json!({"metadata": {"name": "a"}})),
        (Kind::ReplicaSet, json!({"metadata": {"name": "a"}})),
        (Kind::Deployment, json!({"metadata": {"name": "a"}})),
        (Kind::Service, json!({"metadata": {"name": "a"}})),
        (Kind::Endpoints, json!({"metadata": {"name": "a"}})),
        (Kind::Ingress, json!({"metadata": {"name": "a"}})),
        (Kind::ConfigMap, json!({"metadata": {"name": "a"}})),
        (Kind::Secret, json!({"metadata": {"name": "a"}})),
        (
            Kind::Event,
            json!({"metadata": {"name": "a"}, "involvedObject": {}}),
        ),
    ];
    for (kind, value) in samples {
        let table = render(kind, value);
        let columns = table["columnDefinitions"]
            .as_array()
            .expect("columns")
            .len();
        let cells = table["rows"][0]["cells"].as_array().expect("cells").len();
        assert_eq!(columns, cells, "{kind:?}");
    }
}

#[test]
fn watch_events_render_one_row_with_columns_and_objects_can_be_omitted() {
    let none = table_with(
        Kind::Pod,
        &[object(Kind::Pod, running_pod())],
        7,
        IncludeObject::None,
        now(),
    );
    assert!(none["rows"][0].get("object").is_none());
    assert_eq!(none["rows"].as_array().map(Vec::len), Some(1));
    let full = table_with(
        Kind::Pod,
        &[object(Kind::Pod, running_pod())],
        7,
        IncludeObject::Object,
        now(),
    );
    assert_eq!(full["rows"][0]["object"]["kind"], "Pod");
    assert_eq!(
        IncludeObject::from_query(Some("Object")),
        IncludeObject::Object
    );
    assert_eq!(IncludeObject::from_query(None), IncludeObject::Metadata);
    assert_eq!(human_duration(5 * 86400), "5d");
}
