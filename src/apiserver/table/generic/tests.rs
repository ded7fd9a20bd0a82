//! Unit tests for the generic printers: one realistic object per kind.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    cells, custom_cells_at, custom_definitions, default_cells, default_definitions, definitions,
};

fn now() -> Timestamp {
    "2024-01-01T12:00:00Z".parse().expect("valid time")
}

/// Metadata created an hour before [`now`].
fn meta(name: &str) -> Value {
    json!({"name": name, "namespace": "default", "creationTimestamp": "2024-01-01T11:00:00Z"})
}

fn check(group: &str, kind: &str, object: Value, want: Value) {
    let got = cells(group, kind, &object, now());
    assert_eq!(Value::Array(got.clone()), want, "{group}/{kind}");
    let columns = definitions(group, kind).expect("a printer");
    assert_eq!(columns.len(), got.len(), "{group}/{kind} columns vs cells");
}

fn column_names(group: &str, kind: &str) -> Vec<String> {
    definitions(group, kind)
        .expect("a printer")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn service_account() {
    check(
        "",
        "ServiceAccount",
        json!({"metadata": meta("default"), "secrets": [{"name": "tok"}]}),
        json!(["default", 1, "60m"]),
    );
}

#[test]
fn persistent_volume() {
    check(
        "",
        "PersistentVolume",
        json!({
            "metadata": meta("pv1"),
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "claimRef": {"namespace": "default", "name": "data"},
                "storageClassName": "standard",
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Bound"},
        }),
        json!([
            "pv1",
            "10Gi",
            "RWO,RWX",
            "Retain",
            "Bound",
            "default/data",
            "standard",
            "<unset>",
            "",
            "60m",
            "Filesystem"
        ]),
    );
}

#[test]
fn persistent_volume_claim() {
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": meta("data"),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "storageClassName": "standard",
                "volumeName": "pvc-123",
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}},
        }),
        json!([
            "data",
            "Bound",
            "pvc-123",
            "1Gi",
            "RWO",
            "standard",
            "<unset>",
            "60m",
            "Filesystem"
        ]),
    );
    // Pending: no volume yet, so no capacity or access modes.
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": meta("pending"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Pending"},
        }),
        json!([
            "pending", "Pending", "", "", "", "", "<unset>", "60m", "<unset>"
        ]),
    );
}

#[test]
fn resource_quota() {
    check(
        "",
        "ResourceQuota",
        json!({
            "metadata": meta("quota"),
            "status": {
                "hard": {"requests.cpu": "1", "limits.memory": "2Gi", "pods": "10", "limits.cpu": "2"},
                "used": {"requests.cpu": "500m", "limits.memory": "1Gi", "pods": "3"},
            },
        }),
        json!([
            "quota",
            "pods: 3/10, requests.cpu: 500m/1",
            "limits.cpu: 0/2, limits.memory: 1Gi/2Gi",
            "60m"
        ]),
    );
}

#[test]
fn limit_range_and_roles_use_the_default_table() {
    for (group, kind) in [
        ("", "LimitRange"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
    ] {
        assert!(definitions(group, kind).is_none(), "{kind}");
        let object = json!({"metadata": meta("x")});
        assert_eq!(
            cells(group, kind, &object, now()),
            vec![json!("x"), json!("2024-01-01T11:00:00Z")]
        );
    }
}

#[test]
fn default_table() {
    let definitions = default_definitions();
    let names: Vec<&str> = definitions
        .iter()
        .map(|c| c["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Name", "Created At"]);
    assert_eq!(default_definitions()[1]["type"], "date");
    assert_eq!(default_definitions()[0]["format"], "name");
    let object = json!({"metadata": {"name": "x", "creationTimestamp": "2024-01-01T11:00:00.5Z"}});
    assert_eq!(
        default_cells(&object),
        vec![json!("x"), json!("2024-01-01T11:00:00Z")]
    );
}

#[test]
fn replication_controller() {
    check(
        "",
        "ReplicationController",
        json!({
            "metadata": meta("rc"),
            "spec": {
                "replicas": 3,
                "selector": {"app": "web"},
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "nginx"}, {"name": "side", "image": "busybox"}
                ]}},
            },
            "status": {"replicas": 3, "readyReplicas": 2},
        }),
        json!(["rc", 3, 3, 2, "60m", "web,side", "nginx,busybox", "app=web"]),
    );
}

#[test]
fn pod_template() {
    check(
        "",
        "PodTemplate",
        json!({
            "metadata": meta("tpl"),
            "template": {
                "metadata": {"labels": {"b": "2", "a": "1"}},
                "spec": {"containers": [{"name": "c", "image": "img:1"}]},
            },
        }),
        json!(["tpl", "c", "img:1", "a=1,b=2"]),
    );
}

#[test]
fn stateful_set() {
    assert_eq!(
        column_names("apps", "StatefulSet"),
        ["Name", "Ready", "Age", "Containers", "Images"]
    );
    check(
        "apps",
        "StatefulSet",
        json!({
            "metadata": meta("db"),
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}}},
            "status": {"replicas": 3, "readyReplicas": 2},
        }),
        json!(["db", "2/3", "60m", "pg", "postgres:16"]),
    );
}

#[test]
fn daemon_set() {
    check(
        "apps",
        "DaemonSet",
        json!({
            "metadata": meta("agent"),
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "agent", "image": "agent:1"}],
                }},
            },
            "status": {
                "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                "updatedNumberScheduled": 3, "numberAvailable": 2,
            },
        }),
        json!([
            "agent",
            3,
            3,
            2,
            3,
            2,
            "kubernetes.io/os=linux",
            "60m",
            "agent",
            "agent:1",
            "app=agent"
        ]),
    );
}

#[test]
fn controller_revision() {
    check(
        "apps",
        "ControllerRevision",
        json!({
            "metadata": {
                "name": "web-7b9f", "creationTimestamp": "2024-01-01T11:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": true}],
            },
            "revision": 2,
        }),
        json!(["web-7b9f", "statefulset.apps/web", 2, "60m"]),
    );
    check(
        "apps",
        "ControllerRevision",
        json!({"metadata": meta("orphan"), "revision": 1}),
        json!(["orphan", "<none>", 1, "60m"]),
    );
}

fn job_with(spec: Value, status: Value) -> Value {
    let mut spec = spec;
    spec["template"] = json!({"spec": {"containers": [{"name": "pi", "image": "perl"}]}});
    spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}});
    json!({"metadata": meta("pi"), "spec": spec, "status": status})
}

#[test]
fn job_complete() {
    assert_eq!(
        column_names("batch", "Job"),
        [
            "Name",
            "Status",
            "Completions",
            "Duration",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    check(
        "batch",
        "Job",
        job_with(
            json!({"completions": 1, "parallelism": 1}),
            json!({
                "succeeded": 1,
                "startTime": "2024-01-01T11:00:00Z",
                "completionTime": "2024-01-01T11:00:42Z",
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True"},
                    {"type": "Complete", "status": "True"},
                ],
            }),
        ),
        json!([
            "pi",
            "Complete",
            "1/1",
            "42s",
            "60m",
            "pi",
            "perl",
            "batch.kubernetes.io/controller-uid=abc"
        ]),
    );
}

#[test]
fn job_status_variants() {
    let status = |spec: Value, status: Value| {
        let cells = cells("batch", "Job", &job_with(spec, status), now());
        (cells[1].clone(), cells[2].clone(), cells[3].clone())
    };
    // Running, started ten minutes ago: the duration so far.
    assert_eq!(
        status(
            json!({"completions": 3}),
            json!({"succeeded": 1, "startTime": "2024-01-01T11:50:00Z"})
        ),
        (json!("Running"), json!("1/3"), json!("10m"))
    );
    // Not started: empty duration; no completions with parallelism > 1.
    assert_eq!(
        status(json!({"parallelism": 4}), json!({})),
        (json!("Running"), json!("0/1 of 4"), json!(""))
    );
    assert_eq!(
        status(
            json!({}),
            json!({"conditions": [{"type": "Failed", "status": "True"}]})
        ),
        (json!("Failed"), json!("0/1"), json!(""))
    );
    assert_eq!(
        status(
            json!({"suspend": true}),
            json!({"conditions": [{"type": "Suspended", "status": "True"}]})
        ),
        (json!("Suspended"), json!("0/1"), json!(""))
    );
    assert_eq!(
        status(
            json!({}),
            json!({"conditions": [{"type": "FailureTarget", "status": "True"}]})
        ),
        (json!("FailureTarget"), json!("0/1"), json!(""))
    );
    // A False Complete condition does not count.
    assert_eq!(
        status(
            json!({}),
            json!({"conditions": [{"type": "Complete", "status": "False"}]})
        ),
        (json!("Running"), json!("0/1"), json!(""))
    );
    let mut deleting = job_with(json!({}), json!({}));
    deleting["metadata"]["deletionTimestamp"] = json!("2024-01-01T11:59:00Z");
    assert_eq!(
        cells("batch", "Job", &deleting, now())[1],
        json!("Terminating")
    );
}

#[test]
fn cron_job() {
    assert_eq!(
        column_names("batch", "CronJob"),
        [
            "Name",
            "Schedule",
            "Timezone",
            "Suspend",
            "Active",
            "Last Schedule",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    check(
        "batch",
        "CronJob",
        json!({
            "metadata": meta("hello"),
            "spec": {
                "schedule": "*/5 * * * *",
                "suspend": false,
                "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "hello", "image": "busybox"}]}}}},
            },
            "status": {"active": [{"name": "hello-1"}], "lastScheduleTime": "2024-01-01T11:55:00Z"},
        }),
        json!([
            "hello",
            "*/5 * * * *",
            "<none>",
            "False",
            1,
            "5m",
            "60m",
            "hello",
            "busybox",
            "<none>"
        ]),
    );
    check(
        "batch",
        "CronJob",
        json!({"metadata": meta("tz"), "spec": {"schedule": "@daily", "timeZone": "Etc/UTC"}}),
        json!([
            "tz", "@daily", "Etc/UTC", "<unset>", 0, "<none>", "60m", "", "", "<none>"
        ]),
    );
}

#[test]
fn horizontal_pod_autoscaler() {
    assert_eq!(
        column_names("autoscaling", "HorizontalPodAutoscaler"),
        [
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age"
        ]
    );
    let resource =
        |target: Value| json!({"type": "Resource", "resource": {"name": "cpu", "target": target}});
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("web"),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1, "maxReplicas": 10,
                "metrics": [resource(json!({"type": "Utilization", "averageUtilization": 80}))],
            },
            "status": {
                "currentReplicas": 2,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 50}}}],
            },
        }),
        json!(["web", "Deployment/web", "cpu: 50%/80%", "1", 10, 2, "60m"]),
    );
    // No metrics reported yet; a memory value target; more than two.
    let hpa = json!({
        "metadata": meta("multi"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "api"},
            "maxReplicas": 5,
            "metrics": [
                resource(json!({"type": "Utilization", "averageUtilization": 80})),
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
            ],
        },
    });
    let got = cells("autoscaling", "HorizontalPodAutoscaler", &hpa, now());
    assert_eq!(
        got[2],
        json!("cpu: <unknown>/80%, memory: <unknown>/500Mi + 1 more...")
    );
    assert_eq!(got[3], json!("<unset>"));
    // autoscaling/v1's CPU percentage.
    let v1 = json!({
        "metadata": meta("v1"),
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3, "targetCPUUtilizationPercentage": 70},
        "status": {"currentReplicas": 1, "currentCPUUtilizationPercentage": 12},
    });
    assert_eq!(
        cells("autoscaling", "HorizontalPodAutoscaler", &v1, now())[2],
        json!("cpu: 12%/70%")
    );
    let none = json!({"metadata": meta("none"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 1}});
    assert_eq!(
        cells("autoscaling", "HorizontalPodAutoscaler", &none, now())[2],
        json!("<none>")
    );
}

#[test]
fn pod_disruption_budget() {
    check(
        "policy",
        "PodDisruptionBudget",
        json!({"metadata": meta("pdb"), "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}}),
        json!(["pdb", "2", "N/A", 1, "60m"]),
    );
    check(
        "policy",
        "PodDisruptionBudget",
        json!({"metadata": meta("pct"), "spec": {"maxUnavailable": "25%"}}),
        json!(["pct", "N/A", "25%", 0, "60m"]),
    );
}

#[test]
fn network_policy_and_ingress_class() {
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("deny"), "spec": {"podSelector": {}}}),
        json!(["deny", "<none>", "60m"]),
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("web"), "spec": {"podSelector": {"matchLabels": {"app": "web"}}}}),
        json!(["web", "app=web", "60m"]),
    );
    check(
        "networking.k8s.io",
        "IngressClass",
        json!({
            "metadata": meta("nginx"),
            "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}},
        }),
        json!([
            "nginx",
            "k8s.io/ingress-nginx",
            "IngressParameters.k8s.example.com/external-lb",
            "60m"
        ]),
    );
    check(
        "networking.k8s.io",
        "IngressClass",
        json!({"metadata": meta("plain"), "spec": {"controller": "example.com/ctl"}}),
        json!(["plain", "example.com/ctl", "<none>", "60m"]),
    );
}

#[test]
fn endpoint_slice() {
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({
            "metadata": meta("web-abc"),
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80}, {"name": "named"}, {}],
            "endpoints": [
                {"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]},
                {"addresses": ["10.0.0.3"]}, {"addresses": ["10.0.0.4", "10.0.0.5"]},
            ],
        }),
        json!([
            "web-abc",
            "IPv4",
            "80,named,*",
            "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...",
            "60m"
        ]),
    );
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({"metadata": meta("empty"), "addressType": "IPv6"}),
        json!(["empty", "IPv6", "<unset>", "<unset>", "60m"]),
    );
}

#[test]
fn lease() {
    check(
        "coordination.k8s.io",
        "Lease",
        json!({"metadata": meta("node-1"), "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}),
        json!(["node-1", "node-1", "60m"]),
    );
}

#[test]
fn role_bindings() {
    let subjects = json!([
        {"kind": "User", "name": "alice"},
        {"kind": "User", "name": "bob"},
        {"kind": "Group", "name": "devs"},
        {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
    ]);
    check(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        json!({"metadata": meta("rb"), "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "foo"}, "subjects": subjects}),
        json!(["rb", "Role/foo", "60m", "alice, bob", "devs", "ci/builder"]),
    );
    check(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        json!({"metadata": meta("admins"), "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}),
        json!(["admins", "ClusterRole/cluster-admin", "60m", "", "", ""]),
    );
    assert_eq!(
        column_names("rbac.authorization.k8s.io", "RoleBinding"),
        ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
    );
    let priorities: Vec<i64> = definitions("rbac.authorization.k8s.io", "RoleBinding")
        .unwrap_or_default()
        .iter()
        .map(|c| c["priority"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(priorities, [0, 0, 0, 1, 1, 1]);
}

#[test]
fn storage_kinds() {
    let mut standard = json!({"metadata": meta("standard"), "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"});
    standard["metadata"]["annotations"] =
        json!({"storageclass.kubernetes.io/is-default-class": "true"});
    check(
        "storage.k8s.io",
        "StorageClass",
        standard,
        json!([
            "standard (default)",
            "rancher.io/local-path",
            "Delete",
            "WaitForFirstConsumer",
            false,
            "60m"
        ]),
    );
    check(
        "storage.k8s.io",
        "StorageClass",
        json!({"metadata": meta("fast"), "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain", "allowVolumeExpansion": true}),
        json!([
            "fast",
            "ebs.csi.aws.com",
            "Retain",
            "Immediate",
            true,
            "60m"
        ]),
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({
            "metadata": meta("csi.example.com"),
            "spec": {"attachRequired": false, "podInfoOnMount": true, "volumeLifecycleModes": ["Persistent", "Ephemeral"],
                     "tokenRequests": [{"audience": "vault"}, {"audience": "gcp"}]},
        }),
        json!([
            "csi.example.com",
            false,
            true,
            false,
            "vault,gcp",
            false,
            "Persistent,Ephemeral",
            "60m"
        ]),
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({"metadata": meta("bare"), "spec": {}}),
        json!([
            "bare", true, false, false, "<unset>", false, "<none>", "60m"
        ]),
    );
    check(
        "storage.k8s.io",
        "VolumeAttachment",
        json!({
            "metadata": meta("csi-123"),
            "spec": {"attacher": "csi.example.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv1"}},
            "status": {"attached": true},
        }),
        json!(["csi-123", "csi.example.com", "pv1", "node-1", true, "60m"]),
    );
}

#[test]
fn priority_class() {
    check(
        "scheduling.k8s.io",
        "PriorityClass",
        json!({"metadata": meta("high"), "value": 1000000, "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority"}),
        json!(["high", 1000000, false, "60m", "PreemptLowerPriority"]),
    );
}

#[test]
fn custom_resource_definitions_use_the_default_table() {
    // kube-apiserver 1.33 prints NAME and CREATED AT for definitions.
    assert!(definitions("apiextensions.k8s.io", "CustomResourceDefinition").is_none());
}

#[test]
fn events() {
    assert_eq!(
        column_names("events.k8s.io", "Event"),
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject",
            "Source",
            "Message",
            "First Seen",
            "Count",
            "Name"
        ]
    );
    check(
        "events.k8s.io",
        "Event",
        json!({
            "metadata": meta("web.17a"),
            "eventTime": "2024-01-01T11:58:00.000000Z",
            "reportingController": "default-scheduler",
            "reportingInstance": "default-scheduler-node-1",
            "action": "Binding",
            "reason": "Scheduled",
            "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "fieldPath": "spec.containers{web}"},
            "note": "Successfully assigned default/web to node-1 \n",
            "type": "Normal",
        }),
        json!([
            "2m",
            "Normal",
            "Scheduled",
            "pod/web",
            "spec.containers{web}",
            "default-scheduler, default-scheduler-node-1",
            "Successfully assigned default/web to node-1",
            "2m",
            1,
            "web.17a"
        ]),
    );
    // A series: last seen and count from it; the deprecated fields map over.
    check(
        "events.k8s.io",
        "Event",
        json!({
            "metadata": meta("web.17b"),
            "reason": "BackOff", "type": "Warning", "note": "Back-off restarting",
            "regarding": {"kind": "Pod", "name": "web"},
            "deprecatedSource": {"component": "kubelet", "host": "node-1"},
            "deprecatedFirstTimestamp": "2024-01-01T11:00:00Z",
            "deprecatedLastTimestamp": "2024-01-01T11:30:00Z",
            "series": {"count": 7, "lastObservedTime": "2024-01-01T11:59:30.000000Z"},
        }),
        json!([
            "30s",
            "Warning",
            "BackOff",
            "pod/web",
            "",
            "kubelet, node-1",
            "Back-off restarting",
            "60m",
            7,
            "web.17b"
        ]),
    );
    // core/v1 Event through the same printer.
    check(
        "",
        "Event",
        json!({
            "metadata": meta("x.1"),
            "involvedObject": {"kind": "Node", "name": "node-1"},
            "reason": "Starting", "type": "Normal", "message": "Starting kubelet.",
            "source": {"component": "kubelet"},
            "firstTimestamp": "2024-01-01T11:00:00Z", "lastTimestamp": "2024-01-01T11:40:00Z", "count": 3,
        }),
        json!([
            "20m",
            "Normal",
            "Starting",
            "node/node-1",
            "",
            "kubelet",
            "Starting kubelet.",
            "60m",
            3,
            "x.1"
        ]),
    );
}

#[test]
fn api_service() {
    check(
        "apiregistration.k8s.io",
        "APIService",
        json!({
            "metadata": meta("v1beta1.metrics.k8s.io"),
            "spec": {"service": {"namespace": "kube-system", "name": "metrics-server"}, "group": "metrics.k8s.io", "version": "v1beta1"},
            "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]},
        }),
        json!([
            "v1beta1.metrics.k8s.io",
            "kube-system/metrics-server",
            "False (MissingEndpoints)",
            "60m"
        ]),
    );
    check(
        "apiregistration.k8s.io",
        "APIService",
        json!({"metadata": meta("v1.apps"), "spec": {"group": "apps", "version": "v1"},
               "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local"}]}}),
        json!(["v1.apps", "Local", "True", "60m"]),
    );
    check(
        "apiregistration.k8s.io",
        "APIService",
        json!({"metadata": meta("v1.x"), "spec": {}}),
        json!(["v1.x", "Local", "Unknown", "60m"]),
    );
}

#[test]
fn webhook_configurations() {
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        check(
            "admissionregistration.k8s.io",
            kind,
            json!({"metadata": meta("hooks"), "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}]}),
            json!(["hooks", 2, "60m"]),
        );
    }
}

#[test]
fn unknown_kinds_have_no_printer() {
    assert!(definitions("example.com", "Widget").is_none());
    assert!(definitions("", "Pod").is_none());
}

#[test]
fn custom_columns() {
    let columns = vec![
        json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
        json!({"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "Desired replicas"}),
        json!({"name": "First", "type": "string", "jsonPath": ".spec.items[0].name", "priority": 1}),
        json!({"name": "Missing", "type": "string", "jsonPath": ".spec.nope"}),
        json!({"name": "Selector", "type": "string", "jsonPath": ".spec.selector"}),
        json!({"name": "Wrong", "type": "boolean", "jsonPath": ".spec.replicas"}),
        json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let definitions = custom_definitions(&columns);
    assert_eq!(definitions.len(), 8);
    assert_eq!(definitions[0]["name"], "Name");
    assert_eq!(definitions[0]["format"], "name");
    assert_eq!(
        definitions[1]["description"],
        "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type==\"Ready\")].status"
    );
    assert_eq!(definitions[2]["description"], "Desired replicas");
    assert_eq!(definitions[2]["type"], "integer");
    assert_eq!(definitions[3]["priority"], 1);
    assert_eq!(definitions[7]["type"], "date");

    let object = json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": meta("w1"),
        "spec": {"replicas": 3, "items": [{"name": "a"}, {"name": "b"}], "selector": {"matchLabels": {"z": "1", "a": "2"}}},
        "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]},
    });
    assert_eq!(
        custom_cells_at(&columns, &object, now()),
        vec![
            json!("w1"),
            json!("True"),
            json!(3),
            json!("a"),
            Value::Null,
            json!(r#"{"matchLabels":{"a":"2","z":"1"}}"#),
            Value::Null,
            json!("60m"),
        ]
    );
}

#[test]
fn custom_columns_default_to_age() {
    let definitions = custom_definitions(&[]);
    let names: Vec<&str> = definitions
        .iter()
        .map(|c| c["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Name", "Age"]);
    assert_eq!(definitions[1]["type"], "date");
    let object = json!({"metadata": meta("w1")});
    assert_eq!(
        custom_cells_at(&[], &object, now()),
        vec![json!("w1"), json!("60m")]
    );
    let bad = json!({"metadata": {"name": "w2", "creationTimestamp": "yesterday"}});
    assert_eq!(
        custom_cells_at(&[], &bad, now()),
        vec![json!("w2"), json!("<invalid>")]
    );
}
