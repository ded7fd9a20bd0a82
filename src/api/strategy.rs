//! What upstream's registry strategies do to a new object before it is
//! stored (PrepareForCreate): a client cannot set status on create, a
//! pod starts Pending with its QoS class, a namespace gets the `kubernetes`
//! finalizer, a secret's stringData lands in data.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{LoadBalancerStatus, PodSpec, PodStatus, Secret, ServiceStatus};
use k8s_openapi::api::networking::v1::{IngressLoadBalancerStatus, IngressStatus};

use super::dynamic::DynamicObject;
use super::kinds::Kind;
use super::object::Object;

/// The finalizer that keeps a claim while a pod uses it.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// The finalizer that keeps a volume while a claim is bound to it.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

/// Resets the status of a new object as upstream's strategies do.
pub fn prepare_for_create(object: &mut Object) {
    match object {
        Object::Pod(pod) => {
            let qos = pod.spec.as_ref().map_or("BestEffort", qos_class);
            pod.status = Some(PodStatus {
                phase: Some("Pending".to_string()),
                qos_class: Some(qos.to_string()),
                ..Default::default()
            });
        }
        Object::Deployment(deployment) => deployment.status = Some(Default::default()),
        Object::ReplicaSet(replica_set) => replica_set.status = Some(Default::default()),
        Object::Service(service) => {
            service.status = Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus::default()),
                conditions: None,
            });
        }
        Object::Ingress(ingress) => {
            ingress.status = Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus::default()),
            });
        }
        Object::Namespace(namespace) => {
            // Only the finalize subresource changes these later.
            let spec = namespace.spec.get_or_insert_with(Default::default);
            spec.finalizers = Some(vec!["kubernetes".to_string()]);
        }
        Object::Secret(secret) => fold_string_data(secret),
        Object::Dynamic(object) => prepare_generic_for_create(object),
        Object::Node(_) | Object::Endpoints(_) | Object::ConfigMap(_) | Object::Event(_) => {}
    }
}

/// A client cannot set the status of a new object of a kind with a status
/// subresource; volumes and claims start Pending, as upstream's strategies
/// leave them for the binder.
fn prepare_generic_for_create(object: &mut DynamicObject) {
    let kind = object.kind;
    if kind == Kind::Job {
        generate_job_identity(object);
    }
    // Upstream's StorageObjectInUseProtection admission: a claim in use by
    // a pod, or a bound volume, waits for the volume controller to let it go.
    let protection = match kind {
        Kind::PersistentVolumeClaim => Some(PVC_PROTECTION),
        Kind::PersistentVolume => Some(PV_PROTECTION),
        _ => None,
    };
    if let Some(finalizer) = protection {
        let finalizers = object.metadata.finalizers.get_or_insert_with(Vec::new);
        if !finalizers.iter().any(|f| f == finalizer) {
            finalizers.push(finalizer.to_string());
        }
    }
    if !kind.info().has_subresource("status") {
        return;
    }
    object.fields.remove("status");
    if kind == Kind::PersistentVolume || kind == Kind::PersistentVolumeClaim {
        object
            .fields
            .insert("status".into(), serde_json::json!({"phase": "Pending"}));
    }
    if kind == Kind::CustomResourceDefinition {
        let status = definition_status(object);
        object.fields.insert("status".into(), status);
    }
}

/// A new Job gets its uid here, and the selector and pod labels upstream's
/// job strategy generates from it (PrepareForCreate's generateSelector):
/// every creator, the API server and the CronJob controller alike.
fn generate_job_identity(object: &mut DynamicObject) {
    let mut value = object.to_json();
    super::defaults::generate_job_selector(&mut value, &uuid::Uuid::new_v4().to_string());
    if let Ok(generated) = DynamicObject::from_value(object.kind, value) {
        *object = generated;
    }
}

/// A new definition's names are accepted and it is established at once:
/// podium has no other server to wait for (upstream's naming and
/// establishing controllers do this a moment after the create).
fn definition_status(definition: &DynamicObject) -> serde_json::Value {
    let spec = definition.fields.get("spec");
    let names = spec
        .and_then(|s| s.get("names"))
        .cloned()
        .unwrap_or_default();
    let storage: Vec<serde_json::Value> = spec
        .and_then(|s| s["versions"].as_array())
        .into_iter()
        .flatten()
        .filter(|v| v["storage"] == true)
        .map(|v| v["name"].clone())
        .collect();
    let now = serde_json::to_value(crate::clock::now_time()).unwrap_or_default();
    let condition = |kind: &str, reason: &str, message: &str| {
        serde_json::json!({
            "type": kind, "status": "True", "lastTransitionTime": now,
            "reason": reason, "message": message,
        })
    };
    serde_json::json!({
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": names,
        "storedVersions": storage,
    })
}

/// A Secret's `stringData` is write-only: upstream folds it into `data`
/// (its keys win) and never stores it.
fn fold_string_data(secret: &mut Secret) {
    let Some(strings) = secret.string_data.take() else {
        return;
    };
    let data = secret.data.get_or_insert_with(Default::default);
    for (key, value) in strings {
        data.insert(key, ByteString(value.into_bytes()));
    }
}

/// What upstream's strategies carry over from the stored object on an
/// update (PrepareForUpdate): a Service keeps its allocated cluster IPs and
/// node ports when the update leaves them unset; a Namespace's
/// spec.finalizers change only through the finalize subresource.
pub fn prepare_for_update(object: &mut Object, old: &Object) {
    match (object, old) {
        (Object::Secret(new), _) => fold_string_data(new),
        (Object::Service(new), Object::Service(old)) => {
            let (Some(spec), Some(old_spec)) = (new.spec.as_mut(), old.spec.as_ref()) else {
                return;
            };
            if spec.cluster_ip.as_deref().is_none_or(str::is_empty) {
                spec.cluster_ip = old_spec.cluster_ip.clone();
                spec.cluster_ips = old_spec.cluster_ips.clone();
            }
            if spec.health_check_node_port.is_none_or(|p| p == 0) {
                spec.health_check_node_port = old_spec.health_check_node_port;
            }
            let old_ports = old_spec.ports.as_deref().unwrap_or(&[]);
            for port in spec.ports.iter_mut().flatten() {
                if port.node_port.is_some_and(|p| p != 0) {
                    continue;
                }
                let protocol = port.protocol.as_deref().unwrap_or("TCP");
                port.node_port = old_ports
                    .iter()
                    .find(|o| {
                        o.port == port.port && o.protocol.as_deref().unwrap_or("TCP") == protocol
                    })
                    .and_then(|o| o.node_port);
            }
        }
        (Object::Namespace(new), Object::Namespace(old)) => {
            let finalizers = old.spec.as_ref().and_then(|s| s.finalizers.clone());
            new.spec.get_or_insert_with(Default::default).finalizers = finalizers;
        }
        _ => {}
    }
}

/// The pod's QoS class (pkg/apis/core/v1/helper/qos GetPodQOS), over cpu
/// and memory: `BestEffort`, `Burstable` or `Guaranteed`.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    const TRACKED: [&str; 2] = ["cpu", "memory"];
    let mut any_request_or_limit = false;
    let mut guaranteed = true;
    let init = spec.init_containers.iter().flatten();
    for container in spec.containers.iter().chain(init) {
        let resources = container.resources.as_ref();
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        for name in TRACKED {
            let request = requests.and_then(|r| r.get(name)).filter(|q| q.0 != "0");
            let limit = limits.and_then(|l| l.get(name)).filter(|q| q.0 != "0");
            any_request_or_limit |= request.is_some() || limit.is_some();
            match (request, limit) {
                (_, None) => guaranteed = false,
                (Some(r), Some(l)) if r != l => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any_request_or_limit {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::kinds::Kind;
    use serde_json::json;

    fn pod(resources: serde_json::Value) -> Object {
        let value = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": resources}]},
            "status": {"phase": "Running"}});
        Object::from_json(Kind::Pod, value).expect("pod")
    }

    #[test]
    fn new_pods_are_pending_with_qos() {
        let mut best_effort = pod(json!({}));
        prepare_for_create(&mut best_effort);
        assert_eq!(
            best_effort.to_json()["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );

        let mut guaranteed = pod(
            json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}),
        );
        prepare_for_create(&mut guaranteed);
        assert_eq!(guaranteed.to_json()["status"]["qosClass"], "Guaranteed");

        let mut burstable = pod(json!({"requests": {"cpu": "100m"}}));
        prepare_for_create(&mut burstable);
        assert_eq!(burstable.to_json()["status"]["qosClass"], "Burstable");
    }

    #[test]
    fn service_update_keeps_allocations() {
        let old = Object::from_json(
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                   "spec": {"type": "NodePort", "clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"],
                            "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}}),
        )
        .expect("service");
        let mut new = Object::from_json(
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                   "spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 81}]}}),
        )
        .expect("service");
        prepare_for_update(&mut new, &old);
        let spec = new.to_json()["spec"].clone();
        assert_eq!(spec["clusterIP"], "10.96.0.7");
        assert_eq!(spec["ports"][0]["nodePort"], 30080);
        assert!(spec["ports"][1].get("nodePort").is_none());
    }

    #[test]
    fn workload_and_service_status_reset() {
        let mut deployment = Object::from_json(
            Kind::Deployment,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                   "status": {"replicas": 4}}),
        )
        .expect("deployment");
        prepare_for_create(&mut deployment);
        assert_eq!(deployment.to_json()["status"], json!({}));
        let mut service = Object::from_json(
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
        )
        .expect("service");
        prepare_for_create(&mut service);
        assert_eq!(service.to_json()["status"], json!({"loadBalancer": {}}));
        let mut namespace = Object::from_json(
            Kind::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
        )
        .expect("namespace");
        prepare_for_create(&mut namespace);
        assert_eq!(
            namespace.to_json()["spec"],
            json!({"finalizers": ["kubernetes"]})
        );
    }

    #[test]
    fn string_data_is_folded_into_data_and_wins() {
        let mut secret = Object::from_json(
            Kind::Secret,
            json!({"metadata": {"name": "s"}, "data": {"a": "b2xk", "keep": "eA=="},
                   "stringData": {"a": "new"}}),
        )
        .expect("secret");
        prepare_for_create(&mut secret);
        let Object::Secret(secret) = secret else {
            panic!("a secret");
        };
        assert!(secret.string_data.is_none());
        let data = secret.data.expect("data");
        assert_eq!(data["a"].0, b"new");
        assert_eq!(data["keep"].0, b"x");
    }
}
