use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::{Value, json};

use super::*;
use crate::api::defaults::apply_defaults;

fn object(kind: Kind, value: Value) -> Object {
    let mut object = match Object::from_json(kind, value) {
        Ok(object) => object,
        Err(err) => panic!("bad test object: {err}"),
    };
    apply_defaults(&mut object);
    object
}

fn messages(object: &Object, old: Option<&Object>) -> Vec<String> {
    validate(object, old)
        .into_iter()
        .map(|e| e.message)
        .collect()
}

fn deployment(extra_spec: Value) -> Object {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {
            "metadata": {"labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}
        }
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    object(
        Kind::Deployment,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx"}, "spec": spec}),
    )
}

#[test]
fn valid_deployment_passes() {
    assert_eq!(messages(&deployment(json!({})), None), Vec::<String>::new());
}

#[test]
fn negative_replicas() {
    let errors = validate(&deployment(json!({"replicas": -1})), None);
    assert_eq!(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>(),
        vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    );
    assert_eq!(errors[0].field, "spec.replicas");
    assert_eq!(
        errors[0].body(),
        "Invalid value: -1: must be greater than or equal to 0"
    );
    assert_eq!(
        invalid_message(Kind::Deployment, "nginx", &errors),
        "Deployment.apps \"nginx\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
}

#[test]
fn missing_selector_and_mismatch() {
    let object = deployment(json!({"selector": {}}));
    let errors = validate(&object, None);
    assert_eq!(
        invalid_message(Kind::Deployment, "nginx", &errors),
        "Deployment.apps \"nginx\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`]"
    );
    let mismatch = deployment(json!({"selector": {"matchLabels": {"app": "web"}}}));
    assert_eq!(
        messages(&mismatch, None),
        vec![
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`"
        ]
    );
}

#[test]
fn selector_expressions() {
    let bad =
        deployment(json!({"selector": {"matchExpressions": [{"key": "app", "operator": "Foo"}]}}));
    assert_eq!(
        messages(&bad, None),
        vec![
            "spec.selector.matchExpressions[0].operator: Invalid value: \"Foo\": not a valid selector operator"
        ]
    );
    let no_values =
        deployment(json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}));
    assert_eq!(
        messages(&no_values, None),
        vec![
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
        ]
    );
    let set_based = deployment(
        json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["nginx", "web"]}]}}),
    );
    assert!(messages(&set_based, None).is_empty());
}

#[test]
fn strategy_rules() {
    let recreate =
        deployment(json!({"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}));
    assert_eq!(
        messages(&recreate, None),
        vec![
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
        ]
    );
    let zeros = deployment(
        json!({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}),
    );
    assert_eq!(
        messages(&zeros, None),
        vec![
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"
        ]
    );
    let deadline = deployment(json!({"minReadySeconds": 10, "progressDeadlineSeconds": 5}));
    assert_eq!(
        messages(&deadline, None),
        vec![
            "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds"
        ]
    );
}

#[test]
fn template_restart_policy_must_be_always() {
    let mut object = deployment(json!({}));
    if let Object::Deployment(boxed) = &mut object
        && let Deployment {
            spec: Some(spec), ..
        } = &mut **boxed
        && let Some(pod) = spec.template.spec.as_mut()
    {
        pod.restart_policy = Some("Never".into());
    }
    assert_eq!(
        messages(&object, None),
        vec![
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
        ]
    );
}

#[test]
fn selector_is_immutable() {
    let old = deployment(json!({}));
    let new = deployment(json!({
        "selector": {"matchLabels": {"app": "nginx", "v": "2"}},
        "template": {"metadata": {"labels": {"app": "nginx", "v": "2"}},
                     "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}
    }));
    assert_eq!(
        messages(&new, Some(&old)),
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        ]
    );
}

fn pod(spec: Value) -> Object {
    object(
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": spec}),
    )
}

#[test]
fn pod_container_rules() {
    let dup = pod(json!({"containers": [
        {"name": "nginx", "image": "nginx"},
        {"name": "nginx", "image": ""},
        {"name": "Bad_Name", "image": "x", "ports": [{"containerPort": 70000}]}
    ]}));
    let msgs = messages(&dup, None);
    assert!(
        msgs.contains(&"spec.containers[1].name: Duplicate value: \"nginx\"".to_string()),
        "{msgs:?}"
    );
    assert!(msgs.contains(&"spec.containers[1].image: Required value".to_string()));
    assert!(msgs.contains(&"spec.containers[2].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive".to_string()));
    assert!(msgs.iter().any(|m| m.starts_with(
        "spec.containers[2].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label"
    )));
    let none = pod(json!({"containers": []}));
    assert_eq!(
        messages(&none, None),
        vec!["spec.containers: Required value"]
    );
}

#[test]
fn requests_may_not_exceed_limits() {
    let object = pod(
        json!({"containers": [{"name": "c", "image": "x", "resources": {
        "limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "1", "memory": "64Mi"}}}]}),
    );
    assert_eq!(
        messages(&object, None),
        vec![
            "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m"
        ]
    );
}

#[test]
fn toleration_rules() {
    let object = pod(
        json!({"containers": [{"name": "c", "image": "x"}], "tolerations": [
            {"operator": "Equal", "value": "x"},
            {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}
        ]}),
    );
    assert_eq!(
        messages(&object, None),
        vec![
            "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
        ]
    );
}

#[test]
fn probe_with_two_handlers() {
    let object = pod(
        json!({"containers": [{"name": "c", "image": "x", "livenessProbe": {
        "exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}}]}),
    );
    assert_eq!(
        messages(&object, None),
        vec![
            "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"
        ]
    );
}

#[test]
fn pod_updates_only_change_images() {
    let old = pod(json!({"containers": [{"name": "c", "image": "nginx:1"}]}));
    let new_image = pod(json!({"containers": [{"name": "c", "image": "nginx:2"}]}));
    assert!(validate(&new_image, Some(&old)).is_empty());
    let mut changed = old.clone();
    if let Object::Pod(boxed) = &mut changed
        && let Pod {
            spec: Some(spec), ..
        } = &mut **boxed
    {
        spec.restart_policy = Some("Never".into());
    }
    let msgs = messages(&changed, Some(&old));
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].starts_with(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
    ));
}

#[test]
fn pod_written_without_defaults_can_be_relabelled() {
    let raw = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let stored = Object::from_json(Kind::Pod, raw).expect("pod");
    let mut relabelled = stored.clone();
    relabelled
        .meta_mut()
        .labels
        .get_or_insert_with(Default::default)
        .insert("tier".into(), "web".into());
    apply_defaults(&mut relabelled);
    assert_eq!(messages(&relabelled, Some(&stored)), Vec::<String>::new());
}

#[test]
fn metadata_names_and_labels() {
    let object = object(
        Kind::ConfigMap,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "Bad", "namespace": "default", "labels": {"x y": "v"}}}),
    );
    let msgs = messages(&object, None);
    assert!(
        msgs[0]
            .starts_with("metadata.name: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain"),
        "{msgs:?}"
    );
    assert!(
        msgs[1].starts_with("metadata.labels: Invalid value: \"x y\": name part must consist of")
    );
    let nameless = object_without_name();
    assert_eq!(
        messages(&nameless, None),
        vec!["metadata.name: Required value: name or generateName is required"]
    );
}

fn object_without_name() -> Object {
    object(
        Kind::ConfigMap,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
    )
}

fn service(spec: Value) -> Object {
    object(
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": spec}),
    )
}

#[test]
fn service_rules() {
    assert_eq!(
        messages(&service(json!({"selector": {"app": "x"}})), None),
        vec!["spec.ports: Required value"]
    );
    assert!(messages(&service(json!({"clusterIP": "None"})), None).is_empty());
    let headless_node_port =
        service(json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}));
    assert_eq!(
        messages(&headless_node_port, None),
        vec![
            "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"
        ]
    );
    let two = service(json!({"ports": [{"port": 80}, {"port": 443, "name": "https"}]}));
    assert_eq!(
        messages(&two, None),
        vec!["spec.ports[0].name: Required value"]
    );
    let node_port = service(json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]}));
    assert_eq!(
        messages(&node_port, None),
        vec![
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
        ]
    );
    let old = service(json!({"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}));
    let mut new = old.clone();
    if let Object::Service(boxed) = &mut new
        && let Service {
            spec: Some(spec), ..
        } = &mut **boxed
    {
        spec.cluster_ip = Some("10.96.0.11".into());
    }
    assert_eq!(
        messages(&new, Some(&old)),
        vec![
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"
        ]
    );
}

#[test]
fn ingress_rules() {
    let empty = object(
        Kind::Ingress,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "default"}, "spec": {}}),
    );
    assert_eq!(
        messages(&empty, None),
        vec![
            "spec.rules: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
        ]
    );
    let no_port = object(
        Kind::Ingress,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "default"},
               "spec": {"defaultBackend": {"service": {"name": "nginx-service"}}}}),
    );
    assert_eq!(
        messages(&no_port, None),
        vec!["spec.defaultBackend.service.port: Required value: port name or number is required"]
    );
    if let Object::Ingress(boxed) = &no_port
        && let Ingress {
            spec: Some(spec), ..
        } = &**boxed
    {
        assert!(spec.rules.is_none());
    }
}

#[test]
fn config_keys_and_secret_types() {
    let cm = object(
        Kind::ConfigMap,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": {"a/b": "x"}}),
    );
    let msgs = messages(&cm, None);
    assert!(msgs[0].starts_with("data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters"), "{msgs:?}");
    let tls = object(
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/tls", "data": {"tls.crt": ""}}),
    );
    assert_eq!(messages(&tls, None), vec!["data[tls.key]: Required value"]);
}
