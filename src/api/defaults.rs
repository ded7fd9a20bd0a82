//! Upstream defaulting (SetDefaults_* in kubernetes/pkg/apis/core/v1 and
//! apps/v1 defaults.go) plus what admission plugins add on create
//! (ServiceAccount, DefaultTolerationSeconds, Priority). Every default only
//! fills an unset field, so applying twice changes nothing — the deployment
//! controller relies on that when it compares pod templates.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentStrategy, ReplicaSet, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, Lifecycle, LifecycleHandler, Namespace, NamespaceStatus, PodSecurityContext,
    PodSpec, Probe, ResourceRequirements, Secret, Service, ServiceSpec, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::object::Object;

/// Seconds a pod stays bound to an unready or unreachable node.
const DEFAULT_TOLERATION_SECONDS: i64 = 300;
mod generic;

/// Mode of files projected from ConfigMaps and Secrets (0644).
const DEFAULT_VOLUME_MODE: i32 = 0o644;

/// Fills in the defaults Kubernetes applies on create and update.
pub fn apply_defaults(object: &mut Object) {
    match object {
        Object::Pod(pod) => default_pod(pod.spec.get_or_insert_with(Default::default)),
        Object::Deployment(deployment) => default_deployment(deployment),
        Object::ReplicaSet(replica_set) => default_replica_set(replica_set),
        Object::Service(service) => {
            default_service_spec(service.spec.get_or_insert_with(Default::default))
        }
        Object::Namespace(namespace) => default_namespace(namespace),
        Object::Secret(secret) => default_secret(secret),
        Object::Endpoints(endpoints) => {
            for subset in endpoints.subsets.iter_mut().flatten() {
                for port in subset.ports.iter_mut().flatten() {
                    port.protocol.get_or_insert_with(|| "TCP".to_string());
                }
            }
        }
        Object::Dynamic(object) => generic::apply_defaults(object),
        Object::Node(_) | Object::Ingress(_) | Object::ConfigMap(_) | Object::Event(_) => {}
    }
}

fn set_if_none<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

fn set_if_empty(slot: &mut Option<String>, value: &str) {
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = Some(value.to_string());
    }
}

/// A new Job's uid, and the selector and template labels upstream
/// generates from it unless `spec.manualSelector` (registry/batch/job's
/// `generateSelector`): pods carry `batch.kubernetes.io/job-name`,
/// `batch.kubernetes.io/controller-uid` and their legacy twins, and the
/// selector picks the controller-uid. Called by the Job's create strategy.
pub fn generate_job_selector(job: &mut serde_json::Value, uid: &str) {
    use serde_json::{Value, json};
    if !job.is_object() {
        return;
    }
    let name = job["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    job["metadata"]["uid"] = json!(uid);
    if job["spec"]["manualSelector"] == Value::Bool(true) || !job["spec"].is_object() {
        return;
    }
    let labels = &mut job["spec"]["template"]["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    for (key, value) in [
        ("job-name", name.as_str()),
        ("batch.kubernetes.io/job-name", name.as_str()),
        ("controller-uid", uid),
        ("batch.kubernetes.io/controller-uid", uid),
    ] {
        if labels.get(key).is_none() {
            labels[key] = json!(value);
        }
    }
    let selector = &mut job["spec"]["selector"]["matchLabels"];
    if !selector.is_object() {
        *selector = json!({});
    }
    if selector.get("batch.kubernetes.io/controller-uid").is_none() {
        selector["batch.kubernetes.io/controller-uid"] = json!(uid);
    }
}

/// SetDefaults_PodSpec and the container defaults: what pod templates of
/// workloads get. Pods get more, see [`default_pod`].
pub fn default_pod_spec(spec: &mut PodSpec) {
    set_if_empty(&mut spec.dns_policy, "ClusterFirst");
    set_if_empty(&mut spec.restart_policy, "Always");
    set_if_empty(&mut spec.scheduler_name, "default-scheduler");
    set_if_none(&mut spec.termination_grace_period_seconds, 30);
    set_if_none(&mut spec.security_context, PodSecurityContext::default());
    for container in spec.containers.iter_mut() {
        default_container(container);
    }
    for container in spec.init_containers.iter_mut().flatten() {
        default_container(container);
    }
    for volume in spec.volumes.iter_mut().flatten() {
        default_volume(volume);
    }
}

/// A pod's spec: SetDefaults_Pod on top of the pod spec defaults, plus the
/// admission plugins that act on pods only (ServiceAccount, Priority,
/// DefaultTolerationSeconds).
pub fn default_pod(spec: &mut PodSpec) {
    default_pod_spec(spec);
    set_if_none(&mut spec.enable_service_links, true);
    let host_network = spec.host_network.unwrap_or(false);
    let init = spec.init_containers.iter_mut().flatten();
    for container in spec.containers.iter_mut().chain(init) {
        default_requests_to_limits(container);
        if host_network {
            for port in container.ports.iter_mut().flatten() {
                if port.host_port.is_none_or(|p| p == 0) {
                    port.host_port = Some(port.container_port);
                }
            }
        }
    }
    // ServiceAccount admission; the deprecated field mirrors the name.
    set_if_empty(&mut spec.service_account_name, "default");
    if spec.service_account.as_deref().is_none_or(str::is_empty) {
        spec.service_account = spec.service_account_name.clone();
    }
    // Priority admission without a PriorityClass.
    set_if_none(&mut spec.priority, 0);
    set_if_empty(&mut spec.preemption_policy, "PreemptLowerPriority");
    add_default_tolerations(spec);
}

/// Limits without requests make the requests equal to the limits.
fn default_requests_to_limits(container: &mut Container) {
    let Some(resources) = container.resources.as_mut() else {
        return;
    };
    let Some(limits) = resources.limits.clone() else {
        return;
    };
    let requests = resources.requests.get_or_insert_with(Default::default);
    for (name, quantity) in limits {
        requests.entry(name).or_insert(quantity);
    }
}

/// DefaultTolerationSeconds admission: tolerate an unready or unreachable
/// node for 300 s unless the pod already says otherwise.
fn add_default_tolerations(spec: &mut PodSpec) {
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let present = tolerations.iter().any(|t| {
            (t.key.as_deref() == Some(key) || t.key.as_deref().is_none_or(str::is_empty))
                && t.effect
                    .as_deref()
                    .is_none_or(|e| e.is_empty() || e == "NoExecute")
        });
        if !present {
            tolerations.push(Toleration {
                key: Some(key.to_string()),
                operator: Some("Exists".to_string()),
                effect: Some("NoExecute".to_string()),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
                value: None,
            });
        }
    }
}

fn default_container(container: &mut Container) {
    set_if_empty(
        &mut container.termination_message_path,
        "/dev/termination-log",
    );
    set_if_empty(&mut container.termination_message_policy, "File");
    if container
        .image_pull_policy
        .as_deref()
        .is_none_or(str::is_empty)
    {
        let policy = default_pull_policy(container.image.as_deref().unwrap_or(""));
        container.image_pull_policy = Some(policy.to_string());
    }
    set_if_none(&mut container.resources, ResourceRequirements::default());
    for port in container.ports.iter_mut().flatten() {
        set_if_empty(&mut port.protocol, "TCP");
    }
    for env in container.env.iter_mut().flatten() {
        default_env(env);
    }
    for probe in [
        &mut container.liveness_probe,
        &mut container.readiness_probe,
        &mut container.startup_probe,
    ]
    .into_iter()
    .flatten()
    {
        default_probe(probe);
    }
    if let Some(lifecycle) = container.lifecycle.as_mut() {
        default_lifecycle(lifecycle);
    }
}

fn default_env(env: &mut EnvVar) {
    if let Some(field_ref) = env.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
        set_if_empty(&mut field_ref.api_version, "v1");
    }
}

/// `Always` for `:latest` or untagged images without a digest, else `IfNotPresent`.
pub fn default_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.rsplit_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn default_probe(probe: &mut Probe) {
    set_if_none(&mut probe.timeout_seconds, 1);
    set_if_none(&mut probe.period_seconds, 10);
    set_if_none(&mut probe.success_threshold, 1);
    set_if_none(&mut probe.failure_threshold, 3);
    if let Some(http) = probe.http_get.as_mut() {
        set_if_empty(&mut http.path, "/");
        set_if_empty(&mut http.scheme, "HTTP");
    }
}

fn default_lifecycle(lifecycle: &mut Lifecycle) {
    let handlers: [&mut Option<LifecycleHandler>; 2] =
        [&mut lifecycle.post_start, &mut lifecycle.pre_stop];
    for handler in handlers.into_iter().flatten() {
        if let Some(http) = handler.http_get.as_mut() {
            set_if_empty(&mut http.path, "/");
            set_if_empty(&mut http.scheme, "HTTP");
        }
    }
}

fn default_volume(volume: &mut Volume) {
    if let Some(config_map) = volume.config_map.as_mut() {
        set_if_none(&mut config_map.default_mode, DEFAULT_VOLUME_MODE);
    }
    if let Some(secret) = volume.secret.as_mut() {
        set_if_none(&mut secret.default_mode, DEFAULT_VOLUME_MODE);
    }
    if let Some(projected) = volume.projected.as_mut() {
        set_if_none(&mut projected.default_mode, DEFAULT_VOLUME_MODE);
    }
    if let Some(downward) = volume.downward_api.as_mut() {
        set_if_none(&mut downward.default_mode, DEFAULT_VOLUME_MODE);
    }
    if let Some(host_path) = volume.host_path.as_mut() {
        set_if_none(&mut host_path.type_, String::new());
    }
    if has_no_source(volume) {
        volume.empty_dir = Some(Default::default());
    }
}

fn has_no_source(volume: &Volume) -> bool {
    let mut bare = volume.clone();
    bare.name = String::new();
    bare == Volume::default()
}

fn default_deployment(deployment: &mut Deployment) {
    let spec = deployment.spec.get_or_insert_with(Default::default);
    set_if_none(&mut spec.replicas, 1);
    let strategy = spec
        .strategy
        .get_or_insert_with(DeploymentStrategy::default);
    set_if_empty(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let rolling = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDeployment::default);
        set_if_none(
            &mut rolling.max_unavailable,
            IntOrString::String("25%".into()),
        );
        set_if_none(&mut rolling.max_surge, IntOrString::String("25%".into()));
    }
    set_if_none(&mut spec.revision_history_limit, 10);
    set_if_none(&mut spec.progress_deadline_seconds, 600);
    default_pod_spec(spec.template.spec.get_or_insert_with(Default::default));
}

fn default_replica_set(replica_set: &mut ReplicaSet) {
    let spec = replica_set.spec.get_or_insert_with(Default::default);
    set_if_none(&mut spec.replicas, 1);
    if let Some(template) = spec.template.as_mut() {
        default_pod_spec(template.spec.get_or_insert_with(Default::default));
    }
}

fn default_service_spec(spec: &mut ServiceSpec) {
    set_if_empty(&mut spec.type_, "ClusterIP");
    set_if_empty(&mut spec.session_affinity, "None");
    if spec.session_affinity.as_deref() == Some("None") {
        spec.session_affinity_config = None;
    }
    if spec.session_affinity.as_deref() == Some("ClientIP") {
        let config = spec
            .session_affinity_config
            .get_or_insert_with(Default::default);
        let client_ip = config.client_ip.get_or_insert_with(Default::default);
        set_if_none(&mut client_ip.timeout_seconds, 10800);
    }
    let service_type = spec.type_.clone().unwrap_or_default();
    for port in spec.ports.iter_mut().flatten() {
        set_if_empty(&mut port.protocol, "TCP");
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            Some(IntOrString::Int(_)) => false,
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    if service_type == "ExternalName" {
        return;
    }
    set_if_empty(&mut spec.internal_traffic_policy, "Cluster");
    if matches!(service_type.as_str(), "NodePort" | "LoadBalancer") {
        set_if_empty(&mut spec.external_traffic_policy, "Cluster");
    }
    if service_type == "LoadBalancer" {
        set_if_none(&mut spec.allocate_load_balancer_node_ports, true);
    }
    if spec.ip_families.as_ref().is_none_or(Vec::is_empty) {
        spec.ip_families = Some(vec!["IPv4".to_string()]);
    }
    set_if_empty(&mut spec.ip_family_policy, "SingleStack");
}

fn default_namespace(namespace: &mut Namespace) {
    // Every named namespace carries its name as a label.
    if let Some(name) = namespace.metadata.name.clone().filter(|n| !n.is_empty()) {
        namespace
            .metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("kubernetes.io/metadata.name".to_string(), name);
    }
    let status = namespace
        .status
        .get_or_insert_with(NamespaceStatus::default);
    set_if_empty(&mut status.phase, "Active");
}

fn default_secret(secret: &mut Secret) {
    set_if_empty(&mut secret.type_, "Opaque");
}

/// Service defaults for callers holding a typed `Service`.
pub fn default_service(service: &mut Service) {
    default_service_spec(service.spec.get_or_insert_with(Default::default));
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::DeploymentSpec;
    use k8s_openapi::api::core::v1::{
        ContainerPort, HTTPGetAction, Pod, PodTemplateSpec, ServicePort,
    };
    use serde_json::json;

    fn deployment() -> Object {
        Object::from(Deployment {
            spec: Some(DeploymentSpec {
                template: PodTemplateSpec {
                    spec: Some(PodSpec {
                        containers: vec![Container {
                            name: "nginx".into(),
                            image: Some("nginx:1.14.2".into()),
                            ports: Some(vec![ContainerPort {
                                container_port: 80,
                                ..Default::default()
                            }]),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    #[test]
    fn deployment_defaults_match_upstream() {
        let mut object = deployment();
        apply_defaults(&mut object);
        let json = object.to_json();
        let spec = &json["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(spec["progressDeadlineSeconds"], 600);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        );
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["dnsPolicy"], "ClusterFirst");
        assert_eq!(pod["schedulerName"], "default-scheduler");
        assert_eq!(pod["terminationGracePeriodSeconds"], 30);
        assert_eq!(pod["securityContext"], json!({}));
        // Admission-only fields stay off templates.
        assert!(pod.get("serviceAccountName").is_none());
        assert!(pod.get("tolerations").is_none());
        assert!(pod.get("enableServiceLinks").is_none());
        let container = &pod["containers"][0];
        assert_eq!(container["imagePullPolicy"], "IfNotPresent");
        assert_eq!(container["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(container["terminationMessagePolicy"], "File");
        assert_eq!(container["ports"][0]["protocol"], "TCP");
        assert_eq!(container["resources"], json!({}));
    }

    #[test]
    fn defaulting_is_idempotent() {
        let mut once = deployment();
        apply_defaults(&mut once);
        let mut twice = once.clone();
        apply_defaults(&mut twice);
        assert_eq!(once, twice);
    }

    #[test]
    fn recreate_strategy_gets_no_rolling_update() {
        let mut object = deployment();
        if let Object::Deployment(d) = &mut object
            && let Some(spec) = d.spec.as_mut()
        {
            spec.strategy = Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            });
        }
        apply_defaults(&mut object);
        assert_eq!(
            object.to_json()["spec"]["strategy"],
            json!({"type": "Recreate"})
        );
    }

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(
            default_pull_policy("library/nginx:1.18-alpine"),
            "IfNotPresent"
        );
        assert_eq!(default_pull_policy("localhost:5000/nginx"), "Always");
        assert_eq!(default_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn probes_and_existing_tolerations() {
        let mut object = Object::from(Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    liveness_probe: Some(Probe {
                        http_get: Some(HTTPGetAction {
                            port: IntOrString::Int(80),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                tolerations: Some(vec![Toleration {
                    key: Some("node.kubernetes.io/not-ready".into()),
                    operator: Some("Exists".into()),
                    effect: Some("NoExecute".into()),
                    toleration_seconds: Some(5),
                    value: None,
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
        apply_defaults(&mut object);
        let json = object.to_json();
        assert_eq!(json["spec"]["serviceAccountName"], "default");
        assert_eq!(json["spec"]["serviceAccount"], "default");
        assert_eq!(json["spec"]["enableServiceLinks"], true);
        assert_eq!(json["spec"]["priority"], 0);
        let probe = &json["spec"]["containers"][0]["livenessProbe"];
        assert_eq!(
            probe,
            &json!({"failureThreshold": 3, "httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                    "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1})
        );
        let tolerations = json["spec"]["tolerations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(tolerations.len(), 2);
        assert_eq!(tolerations[0]["tolerationSeconds"], 5);
        assert_eq!(tolerations[1]["key"], "node.kubernetes.io/unreachable");
    }

    #[test]
    fn service_namespace_secret_defaults() {
        let mut service = Object::from(Service {
            spec: Some(ServiceSpec {
                type_: Some("NodePort".into()),
                ports: Some(vec![ServicePort {
                    port: 8080,
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
        apply_defaults(&mut service);
        let spec = service.to_json()["spec"].clone();
        assert_eq!(
            spec["ports"][0],
            json!({"port": 8080, "protocol": "TCP", "targetPort": 8080})
        );
        assert_eq!(spec["sessionAffinity"], "None");
        assert_eq!(spec["externalTrafficPolicy"], "Cluster");
        assert_eq!(spec["internalTrafficPolicy"], "Cluster");
        assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
        assert_eq!(spec["ipFamilyPolicy"], "SingleStack");

        let mut namespace = Object::from(Namespace::default());
        apply_defaults(&mut namespace);
        let json = namespace.to_json();
        assert_eq!(json["status"]["phase"], "Active");
        let mut named = Object::from_json(
            crate::api::kinds::Kind::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
        )
        .expect("namespace");
        apply_defaults(&mut named);
        assert_eq!(
            named.to_json()["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "dev"})
        );

        let mut secret = Object::from(Secret::default());
        apply_defaults(&mut secret);
        assert_eq!(secret.to_json()["type"], "Opaque");
    }
}
