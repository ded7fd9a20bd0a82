//! Workloads, budgets, quotas and autoscalers: ServiceAccount, Job,
//! CronJob, PodDisruptionBudget, PriorityClass, ResourceQuota, HPA v2,
//! StatefulSet.

use super::*;

#[test]
fn service_account_keeps_automount_false() {
    let sa = pb::ServiceAccount {
        metadata: meta("ci", "dev"),
        secrets: vec![pb::ObjectReference {
            kind: s(""),
            name: s("ci-token"),
            ..Default::default()
        }],
        image_pull_secrets: vec![pb::LocalObjectReference { name: s("regcred") }],
        automount_service_account_token: Some(false),
    };
    assert_eq!(
        decoded::<core::ServiceAccount>("v1", "ServiceAccount", &sa),
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "ci", "namespace": "dev"},
            "secrets": [{"name": "ci-token"}],
            "imagePullSecrets": [{"name": "regcred"}],
            "automountServiceAccountToken": false,
        })
    );
}

#[test]
fn job_keeps_pointer_zeros() {
    let job = pb_batch::Job {
        metadata: meta("once", "dev"),
        spec: Some(pb_batch::JobSpec {
            parallelism: Some(1),
            completions: Some(1),
            // Pointers in Go: a zero here means "no retries", "keep nothing".
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(0),
            suspend: Some(false),
            completion_mode: s("NonIndexed"),
            template: pod_template("Never"),
            ..Default::default()
        }),
        status: Some(pb_batch::JobStatus {
            active: Some(0),
            succeeded: Some(0),
            failed: Some(0),
            ..Default::default()
        }),
    };
    assert_eq!(
        decoded::<batch::Job>("batch/v1", "Job", &job),
        json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "once", "namespace": "dev"},
            "spec": {
                "parallelism": 1, "completions": 1, "backoffLimit": 0,
                "ttlSecondsAfterFinished": 0, "suspend": false,
                "completionMode": "NonIndexed",
                "template": pod_template_json("Never"),
            },
            "status": {},
        })
    );
}

#[test]
fn cron_job_with_its_job_template() {
    let cron_job = pb_batch::CronJob {
        metadata: meta("tick", "dev"),
        spec: Some(pb_batch::CronJobSpec {
            schedule: s("*/5 * * * *"),
            time_zone: s("Etc/UTC"),
            concurrency_policy: s("Forbid"),
            suspend: Some(false),
            successful_jobs_history_limit: Some(0),
            failed_jobs_history_limit: Some(1),
            starting_deadline_seconds: Some(30),
            job_template: Some(pb_batch::JobTemplateSpec {
                metadata: meta("tick", ""),
                spec: Some(pb_batch::JobSpec {
                    template: pod_template("OnFailure"),
                    ..Default::default()
                }),
            }),
        }),
        status: Some(pb_batch::CronJobStatus {
            last_schedule_time: Some(pbmeta::Time::default()),
            ..Default::default()
        }),
    };
    assert_eq!(
        decoded::<batch::CronJob>("batch/v1", "CronJob", &cron_job),
        json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "tick", "namespace": "dev"},
            "spec": {
                "schedule": "*/5 * * * *", "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid", "suspend": false,
                "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 1,
                "startingDeadlineSeconds": 30,
                "jobTemplate": {
                    "metadata": {"name": "tick"},
                    "spec": {"template": pod_template_json("OnFailure")},
                },
            },
            "status": {},
        })
    );
}

#[test]
fn pod_disruption_budget_int_or_string() {
    let pdb = pb_policy::PodDisruptionBudget {
        metadata: meta("web", "dev"),
        spec: Some(pb_policy::PodDisruptionBudgetSpec {
            min_available: Some(IntOrString {
                r#type: Some(1),
                int_val: Some(0),
                str_val: s("50%"),
            }),
            max_unavailable: None,
            selector: Some(pbmeta::LabelSelector {
                match_labels: string_map(&[("app", "web")]),
                match_expressions: vec![],
            }),
            unhealthy_pod_eviction_policy: s("AlwaysAllow"),
        }),
        status: Some(pb_policy::PodDisruptionBudgetStatus {
            observed_generation: Some(0),
            disruptions_allowed: Some(0),
            current_healthy: Some(0),
            desired_healthy: Some(0),
            expected_pods: Some(0),
            ..Default::default()
        }),
    };
    assert_eq!(
        decoded::<policy::PodDisruptionBudget>("policy/v1", "PodDisruptionBudget", &pdb),
        json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "dev"},
            "spec": {
                "minAvailable": "50%",
                "selector": {"matchLabels": {"app": "web"}},
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
            },
            // Go writes these without omitempty, as k8s-openapi does.
            "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0},
        })
    );
    // maxUnavailable: 0 is an int, not an omitted zero.
    let strict = pb_policy::PodDisruptionBudget {
        metadata: meta("db", "dev"),
        spec: Some(pb_policy::PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString {
                r#type: Some(0),
                int_val: Some(0),
                str_val: s(""),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let value = decoded::<policy::PodDisruptionBudget>("policy/v1", "PodDisruptionBudget", &strict);
    assert_eq!(value["spec"], json!({"maxUnavailable": 0}));
}

#[test]
fn priority_class_keeps_value_zero() {
    let class = pb_scheduling::PriorityClass {
        metadata: meta("background", ""),
        // `value` has no omitempty: zero is a priority.
        value: Some(0),
        global_default: Some(false),
        description: s("batch work"),
        preemption_policy: s("Never"),
    };
    assert_eq!(
        decoded::<scheduling::PriorityClass>("scheduling.k8s.io/v1", "PriorityClass", &class),
        json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": "background"},
            "value": 0, "description": "batch work", "preemptionPolicy": "Never",
        })
    );
}

#[test]
fn resource_quota_quantities_and_scope_selector() {
    let quota = pb::ResourceQuota {
        metadata: meta("compute", "dev"),
        spec: Some(pb::ResourceQuotaSpec {
            hard: quantities(&[
                ("pods", "10"),
                ("requests.cpu", "4"),
                ("limits.memory", "8Gi"),
            ]),
            scopes: vec!["NotTerminating".into()],
            scope_selector: Some(pb::ScopeSelector {
                match_expressions: vec![pb::ScopedResourceSelectorRequirement {
                    scope_name: s("PriorityClass"),
                    operator: s("In"),
                    values: vec!["high".into()],
                }],
            }),
        }),
        status: Some(pb::ResourceQuotaStatus::default()),
    };
    assert_eq!(
        decoded::<core::ResourceQuota>("v1", "ResourceQuota", &quota),
        json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": "dev"},
            "spec": {
                "hard": {"pods": "10", "requests.cpu": "4", "limits.memory": "8Gi"},
                "scopes": ["NotTerminating"],
                "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]},
            },
            "status": {},
        })
    );
}

#[test]
fn horizontal_pod_autoscaler_v2_metrics_and_behavior() {
    let hpa = pb_autoscaling::HorizontalPodAutoscaler {
        metadata: meta("web", "dev"),
        spec: Some(pb_autoscaling::HorizontalPodAutoscalerSpec {
            scale_target_ref: Some(pb_autoscaling::CrossVersionObjectReference {
                kind: s("Deployment"),
                name: s("web"),
                api_version: s("apps/v1"),
            }),
            min_replicas: Some(1),
            max_replicas: Some(5),
            metrics: vec![
                pb_autoscaling::MetricSpec {
                    r#type: s("Resource"),
                    resource: Some(pb_autoscaling::ResourceMetricSource {
                        name: s("cpu"),
                        target: Some(pb_autoscaling::MetricTarget {
                            r#type: s("Utilization"),
                            average_utilization: Some(80),
                            ..Default::default()
                        }),
                    }),
                    ..Default::default()
                },
                pb_autoscaling::MetricSpec {
                    r#type: s("Resource"),
                    resource: Some(pb_autoscaling::ResourceMetricSource {
                        name: s("memory"),
                        target: Some(pb_autoscaling::MetricTarget {
                            r#type: s("AverageValue"),
                            average_value: Some(Quantity { string: s("512Mi") }),
                            ..Default::default()
                        }),
                    }),
                    ..Default::default()
                },
            ],
            behavior: Some(pb_autoscaling::HorizontalPodAutoscalerBehavior {
                scale_down: Some(pb_autoscaling::HpaScalingRules {
                    // A pointer: zero means "scale down at once".
                    stabilization_window_seconds: Some(0),
                    select_policy: s("Max"),
                    policies: vec![pb_autoscaling::HpaScalingPolicy {
                        r#type: s("Pods"),
                        value: Some(1),
                        period_seconds: Some(60),
                    }],
                    tolerance: None,
                }),
                scale_up: None,
            }),
        }),
        status: Some(pb_autoscaling::HorizontalPodAutoscalerStatus {
            current_replicas: Some(0),
            desired_replicas: Some(0),
            ..Default::default()
        }),
    };
    assert_eq!(
        decoded::<autoscaling::HorizontalPodAutoscaler>(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            &hpa
        ),
        json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "dev"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 1, "maxReplicas": 5,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
                ],
                "behavior": {"scaleDown": {
                    "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }},
            },
            "status": {"desiredReplicas": 0},
        })
    );
}

#[test]
fn stateful_set_with_volume_claim_templates() {
    let set = pb_apps::StatefulSet {
        metadata: meta("db", "dev"),
        spec: Some(pb_apps::StatefulSetSpec {
            replicas: Some(0),
            selector: Some(pbmeta::LabelSelector {
                match_labels: string_map(&[("app", "db")]),
                match_expressions: vec![],
            }),
            template: pod_template("Always"),
            volume_claim_templates: vec![pb::PersistentVolumeClaim {
                metadata: meta("data", ""),
                spec: Some(pb::PersistentVolumeClaimSpec {
                    access_modes: vec!["ReadWriteOnce".into()],
                    resources: Some(pb::VolumeResourceRequirements {
                        requests: quantities(&[("storage", "1Gi")]),
                        limits: BTreeMap::new(),
                    }),
                    // A pointer: "" asks for no dynamic provisioning.
                    storage_class_name: s(""),
                    volume_name: s(""),
                    ..Default::default()
                }),
                status: Some(pb::PersistentVolumeClaimStatus {
                    phase: s(""),
                    ..Default::default()
                }),
            }],
            service_name: s("db"),
            pod_management_policy: s("Parallel"),
            update_strategy: Some(pb_apps::StatefulSetUpdateStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: Some(pb_apps::RollingUpdateStatefulSetStrategy {
                    partition: Some(0),
                    max_unavailable: None,
                }),
            }),
            revision_history_limit: Some(10),
            min_ready_seconds: Some(0),
            persistent_volume_claim_retention_policy: Some(
                pb_apps::StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: s("Delete"),
                    when_scaled: s("Retain"),
                },
            ),
            ordinals: None,
        }),
        status: Some(pb_apps::StatefulSetStatus {
            replicas: Some(0),
            ..Default::default()
        }),
    };
    assert_eq!(
        decoded::<apps::StatefulSet>("apps/v1", "StatefulSet", &set),
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "dev"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "db"}},
                "template": pod_template_json("Always"),
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                        "storageClassName": "",
                    },
                    "status": {},
                }],
                "serviceName": "db",
                "podManagementPolicy": "Parallel",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "revisionHistoryLimit": 10,
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
            },
            "status": {"replicas": 0},
        })
    );
}

/// An Eviction as `kubectl drain --grace-period=5` sends it, with the
/// delete options the eviction handler honours.
#[test]
fn eviction_keeps_its_delete_options() {
    let eviction = pb_policy::Eviction {
        metadata: meta("web-1", "dev"),
        delete_options: Some(pbmeta::DeleteOptions {
            grace_period_seconds: Some(5),
            preconditions: Some(pbmeta::Preconditions {
                uid: s("u-1"),
                resource_version: None,
            }),
            dry_run: vec!["All".to_string()],
            ..Default::default()
        }),
    };
    let value = decoded::<policy::Eviction>("policy/v1", "Eviction", &eviction);
    assert_eq!(
        value["metadata"],
        json!({"name": "web-1", "namespace": "dev"})
    );
    assert_eq!(
        value["deleteOptions"],
        json!({"gracePeriodSeconds": 5, "preconditions": {"uid": "u-1"}, "dryRun": ["All"]})
    );
}
